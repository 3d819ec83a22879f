"""``pytest features/``: the compliance suite, whose ``.feature`` files ship inside the package
(``orcid_pyramid/compliance/features/``) and are bound by :mod:`orcid_pyramid.compliance.suite`."""

from orcid_pyramid.compliance.suite import *  # noqa: F403 - the bound scenarios are the tests
