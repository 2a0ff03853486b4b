from runtime.lifecycle import run
from services.plan_service.app import main

run(main)
