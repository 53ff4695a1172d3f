"""Feed simulator: a synthetic population writing web, POS, call-centre and list files with known truth."""

from sources.simulator.engine import simulate

__all__ = ["simulate"]
