from orcid_pyramid.cli import main

main()
