from orcid_pyramid.cli import run

run()
