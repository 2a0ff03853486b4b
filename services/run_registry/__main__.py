from runtime.lifecycle import run
from services.run_registry.app import main

run(main)
