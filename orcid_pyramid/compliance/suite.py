"""The compliance suite as pytest tests: every ``.feature`` file of the kit, bound in one call
(a new file cannot go unrun).

``orcid-pyramid report`` runs this module (from a checkout or an installed package);
``features/test_features.py`` in a checkout imports its tests, so ``pytest features/`` runs the
same feature files.
"""

from pytest_bdd import scenarios

from . import FEATURES

scenarios(str(FEATURES), features_base_dir=str(FEATURES))
