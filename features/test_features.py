"""Binds every ``.feature`` file in this folder (one call: a new file cannot go unrun)."""

from pytest_bdd import scenarios

scenarios(".")
