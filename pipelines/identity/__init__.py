"""Identity resolution: source contact records -> stable customer keys, explainable and audited."""

from pipelines.identity.evaluate import evaluate
from pipelines.identity.explain import explain_pair
from pipelines.identity.resolve import resolve_identities
from pipelines.identity.settings import IdentitySettings

__all__ = ["IdentitySettings", "evaluate", "explain_pair", "resolve_identities"]
