from runtime.lifecycle import run
from services.simulator.app import main

run(main)
