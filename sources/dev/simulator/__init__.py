"""Feed simulator: a synthetic population writing web, POS, call-centre and list files with known truth."""

from sources.dev.simulator.engine import simulate

__all__ = ["simulate"]
