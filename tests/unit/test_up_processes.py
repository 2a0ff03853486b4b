"""What ``scpln up`` runs: every service once and the simulators it is asked for, each simulator
with a worker name and a metrics port of its own after the services'."""

import argparse

from scpln.up import SERVICES, add_arguments, default_simulators, service_processes


def test_one_simulator_is_the_services_alone():
    assert service_processes(1) == [(name, module, i) for i, (name, module) in enumerate(SERVICES)]


def test_more_simulators_come_after_the_services_with_their_own_names_and_metrics_ports():
    processes = service_processes(3)
    simulators = [(name, i) for name, module, i in processes if module == "services.simulator"]
    assert simulators == [("simulator", 2), ("simulator-2", len(SERVICES)), ("simulator-3", len(SERVICES) + 1)]
    indexes = [i for _, _, i in processes]
    assert len(set(indexes)) == len(indexes)


def test_the_default_is_one_simulator_per_core_at_most_two(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert default_simulators() == 1
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert default_simulators() == 2
    monkeypatch.setenv("SCPLN_SIMULATORS", "3")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).simulators == 3
