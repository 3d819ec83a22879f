@collect-connect
Feature: Collect & Connect: Display
  Authenticated iDs are displayed per ORCID's branding rules.

  @CC-DISPLAY
  Scenario: The connected iD is displayed with the iD icon and full URI
    Given a researcher has connected their ORCID iD
    When the researcher opens their ORCID panel
    Then the iD is shown with the green iD icon and its full https URI, linked

  @CC-DISPLAY @demo-only
  Scenario: The iD is displayed wherever the researcher appears
    Given a researcher has connected their ORCID iD
    When someone opens the site's list of people
    Then the iD is shown with the green iD icon and its full https URI, linked

  @CC-DISPLAY @browser
  Scenario: The panel shows the iD in a browser
    Given a researcher is signed in to the site in a browser
    When the researcher connects their ORCID iD in the browser
    Then the browser shows the researcher's ORCID panel with their iD
    And the panel reads in the researcher's language with the same iD and icon

  @CC-DISPLAY @breach @demo-only
  Scenario: The iD is never shown bare where the researcher appears
    Given a researcher has connected their ORCID iD
    When someone opens every page where the researcher appears
    Then every mention of the iD is its full https URI, linked, with the green iD icon
