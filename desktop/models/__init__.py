"""Qt adapters over the engine's Qt-free project: they listen to its changes and re-emit signals."""
