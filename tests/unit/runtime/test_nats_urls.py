"""A NATS URL names one server or a cluster's: the services connect to the list, and say where
they connect without the credentials."""

from runtime.bus import credentials, public_url, servers


def test_a_cluster_is_a_comma_separated_list_each_with_its_credentials():
    url = "nats://plan_service:pw@127.0.0.1:4222, nats://plan_service:pw@127.0.0.1:4223,"
    assert servers(url) == ["nats://plan_service:pw@127.0.0.1:4222", "nats://plan_service:pw@127.0.0.1:4223"]
    assert public_url(url) == "nats://127.0.0.1:4222"
    assert credentials(url) == ("plan_service", "pw")  # also for the nodes the cluster announces


def test_one_server_is_a_list_of_one():
    assert servers("nats://127.0.0.1:4222") == ["nats://127.0.0.1:4222"]
    assert credentials("nats://127.0.0.1:4222") is None
