@review-basics
Feature: Review basics
  ORCID reviews a working sandbox integration that uses the current message schema,
  with evidence of what a reviewer cannot see from the browser.

  @REV-1
  Scenario: Every member API call uses the 3.0 message schema
    Given a researcher has connected their ORCID iD
    When the site sends a work, an employment and a funding to the researcher's ORCID record
    Then every member API call went to a /v3.0/ URL
    And every item body the site sent validates against ORCID's 3.0 schema

  @REV-1 @breach
  Scenario: A site configured for an older message schema is refused at startup
    Given the site's ORCID settings with "orcid.api_version" set to "2.0"
    Then the startup check refuses them naming "orcid.api_version"

  @REV-2
  Scenario: The whole flow runs against the sandbox with evidence of every step
    Given a researcher has connected their ORCID iD
    When the site sends a work to the researcher's ORCID record
    And the researcher disconnects their ORCID iD
    Then the sandbox received the token exchange, the work and the revocation
    And the evidence documents every call the site made to ORCID

  @REV-2 @browser @demo-only
  Scenario: A reviewer can follow every step in a browser
    Given a researcher is signed in to the site in a browser
    When the researcher denies access on ORCID in the browser
    And the researcher connects their ORCID iD in the browser
    And the site sends the researcher's works to ORCID from the browser
    And an administrator opens the call log in the browser
    And the researcher disconnects in the browser
    Then each step was captured with a description

  @REV-2 @breach @demo-only
  Scenario: An administrator's account shows a reviewer every call the site made to ORCID
    Given a researcher has connected their ORCID iD
    And the site sends a work to the researcher's ORCID record
    When an administrator opens the site's ORCID call log
    Then the call log page shows the token exchange URI and every call the site made, tokens redacted
