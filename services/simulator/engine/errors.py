"""Errors the engine raises for inputs it cannot simulate."""


class SimulationInputError(ValueError):
    """The configuration cannot be simulated (empty horizon, unknown codes, sourcing cycles, …)."""
