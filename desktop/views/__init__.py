"""Widgets. Each draws from a model or view-model and changes the project only through Document."""
