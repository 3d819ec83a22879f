@collect-connect
Feature: Collect & Connect: Connect
  Works, affiliations, fundings and peer reviews are written to the record with the user's
  permission.

  @CC-CONNECT
  Scenario Outline: The site writes a <kind> to the researcher's record
    Given a researcher has connected their ORCID iD
    When the site sends a <kind> to the researcher's ORCID record
    Then the researcher's ORCID record holds the <kind> with the site as its source

    Examples:
      | kind        |
      | work        |
      | employment  |
      | funding     |
      | peer-review |

  @CC-CONNECT @breach
  Scenario: ORCID accepts what the site writes, under the permission the researcher granted
    Given a researcher has connected their ORCID iD
    When the site sends a work to the researcher's ORCID record
    Then the permission the researcher granted lets the site write activities
    And ORCID accepted every item the site wrote
