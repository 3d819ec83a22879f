@collect-connect
Feature: Collect & Connect: Authenticate
  Authenticated iDs are collected through OAuth and stored with their tokens.

  @CC-AUTH
  Scenario: A researcher connects through ORCID's OAuth
    Given a researcher is signed in to the site
    When the researcher connects their ORCID iD
    Then the site stores the iD that ORCID issued the token for
    And the site stores every field of the token response with the researcher

  @CC-AUTH @browser
  Scenario: A researcher connects through ORCID's pages in a browser
    Given a researcher is signed in to the site in a browser
    When the researcher connects their ORCID iD in the browser
    Then the browser shows the researcher's ORCID panel with their iD

  @CC-AUTH @breach @emulator-only
  Scenario: An id_token issued for another sign-in is refused
    Given a researcher is signed in to the site
    When ORCID's answer carries an id_token issued for another sign-in
    Then the site refuses the sign-in and stores no iD for the researcher
