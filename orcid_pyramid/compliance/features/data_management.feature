@data-management
Feature: Data management
  How the site collects, stores, writes and logs ORCID data.

  @DM-1
  Scenario: The only source of a stored iD is ORCID's token response
    When a researcher connects their ORCID iD
    Then the site stores the iD that ORCID issued the token for
    And no page of the ORCID flow offers a field to type an iD

  @DM-1 @breach
  Scenario: An iD slipped into the callback is not stored
    Given a researcher is signed in to the site
    When the callback arrives with an iD in its query but no authorization code
    Then the site stores no iD for the researcher

  @DM-2
  Scenario: Redirect URI and ORCID endpoints use HTTPS
    Given a researcher is signed in to the site
    When the researcher starts connecting their ORCID iD
    Then the redirect URI sent to ORCID uses HTTPS
    And every ORCID endpoint the site calls uses HTTPS

  @DM-2
  Scenario: Every request of a connection reaches ORCID over HTTPS
    When a researcher connects their ORCID iD
    Then every request the site sent to ORCID arrived over HTTPS

  @DM-2 @breach
  Scenario: A plain http redirect URI is refused at startup
    Given the site's ORCID settings with "orcid.redirect_uri" set to "http://www.example.org/orcid/callback"
    Then the startup check refuses them naming "orcid.redirect_uri"

  @DM-3
  Scenario: The code is exchanged at the root token URI
    When a researcher connects their ORCID iD
    Then the token exchange went to the root token URI
    And no token request reached the api or pub hosts

  @DM-3 @breach
  Scenario: A token URL on the API host is refused at startup
    Given the site's ORCID settings with the token URL on the API host
    Then the startup check refuses them naming "orcid.token_url"

  @DM-4
  Scenario: Everything the token exchange returns is stored, encrypted
    When a researcher connects their ORCID iD
    Then the site stores every field of the token response with the researcher
    And no token is stored in plain text

  @DM-5
  Scenario: The put code of every item written is stored
    Given a researcher has connected their ORCID iD
    When the site sends a work to the researcher's ORCID record
    Then the site stores the work's put code and the content it sent

  @DM-6
  Scenario: Only the scopes the enabled features need are requested
    Given a researcher is signed in to the site
    When the researcher starts connecting their ORCID iD
    Then the scopes requested are those the enabled features need

  @DM-6
  Scenario: POST adds, PUT updates, DELETE removes
    Given a researcher has connected their ORCID iD
    When the site sends a work to the researcher's ORCID record
    And the work is changed on the site and sent again
    And the work is removed on the site
    Then the work was added with a POST without a put code
    And the change was a PUT to the work's put code
    And the removal was a DELETE of the work's put code

  @DM-7
  Scenario: Every call to ORCID is logged, with tokens redacted
    Given a researcher has connected their ORCID iD
    When the site sends a work to the researcher's ORCID record
    Then every call the sandbox received from the site is in the call log
    And no token or secret appears in the call log

  @DM-8
  Scenario Outline: Users are told what went wrong and how to reach support
    Given a researcher is signed in to the site
    When <failure>
    Then the researcher sees an explanation and the support contact

    Examples:
      | failure                                              |
      | the researcher denies access on ORCID                |
      | the callback arrives without the state the site sent |
      | ORCID is down when the code is exchanged             |

  @DM-8
  Scenario: A revoked permission is reported to the researcher
    Given a researcher has connected their ORCID iD
    When the researcher revokes the site's access on ORCID
    And the site sends a work to the researcher's ORCID record
    Then the researcher's ORCID panel says the connection no longer works

  @DM-8 @emulator-only
  Scenario: An item ORCID rejects is shown as rejected, with ORCID's message and the support contact
    Given a researcher has connected their ORCID iD
    When the site sends a work that ORCID rejects
    Then the researcher's ORCID panel shows the work as rejected by ORCID with ORCID's message
    And the researcher's ORCID panel names the support contact

  @DM-8 @breach @emulator-only
  Scenario: ORCID's own error text is not passed on; the researcher gets an explanation and support
    Given a researcher is signed in to the site
    When ORCID answers the code exchange with an error of its own
    Then the researcher sees an explanation and the support contact
    And the page shows none of ORCID's own error text
