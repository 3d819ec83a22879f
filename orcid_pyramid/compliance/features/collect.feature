@collect-connect
Feature: Collect & Connect: Collect
  With permission, data read from the ORCID record is used in the site.

  @CC-COLLECT
  Scenario: The site reads the researcher's record with their permission
    Given a researcher whose ORCID record holds a work from another source
    And a researcher has connected their ORCID iD
    When the site reads the researcher's ORCID record
    Then the site has the work from the researcher's record
    And the record was read with the researcher's /read-limited permission

  @CC-COLLECT @demo-only
  Scenario: The researcher's profile is pre-filled from their ORCID record
    Given a researcher has connected their ORCID iD
    When the researcher imports their works on the site's import page
    Then the import page pre-fills the profile with the names on the researcher's ORCID record
    And the record was read with the researcher's /read-limited permission

  @CC-COLLECT @breach @demo-only @emulator-only
  Scenario: What the researcher shares only with trusted organizations is imported into the site
    Given a researcher whose ORCID record holds a work shared only with trusted organizations
    And a researcher has connected their ORCID iD
    When the researcher imports their works on the site's import page
    Then the import page lists the work shared with trusted organizations
