from runtime.lifecycle import run
from services.notifier.app import main

run(main)
