@collect-connect
Feature: Collect & Connect: Synchronize
  The record stays in step: changes are pushed, deletions honoured, changes on ORCID picked up.

  @CC-SYNC
  Scenario: A change on the site is pushed to ORCID
    Given a researcher has connected their ORCID iD
    When the site sends a work to the researcher's ORCID record
    And the work is changed on the site and sent again
    Then the researcher's ORCID record holds the changed work

  @CC-SYNC @emulator-only
  Scenario: An item the researcher deleted on ORCID is not sent again
    Given a researcher has connected their ORCID iD
    When the site sends a work to the researcher's ORCID record
    And the researcher deletes the work on ORCID
    And the work is changed on the site and sent again
    Then the work is not on the researcher's ORCID record
    And the researcher's ORCID panel shows the work as deleted on ORCID

  @CC-SYNC @emulator-only
  Scenario: A change on ORCID is picked up
    Given a researcher has connected their ORCID iD
    When the researcher adds a work on ORCID from another source
    And the site reads the changes on the researcher's ORCID record
    Then the site has the work from the researcher's record

  @CC-SYNC @emulator-only @webhooks
  Scenario: A deletion on ORCID reaches the site through ORCID's webhook
    Given a researcher has connected their ORCID iD
    When the site sends a work to the researcher's ORCID record
    And the researcher deletes the work on ORCID
    And ORCID calls the site's webhook for the researcher's record
    Then the site registered a webhook for the researcher's record
    And the site's webhook answered as ORCID expects
    And the researcher's ORCID panel shows the work as deleted on ORCID
    And the site announced that the work was deleted on ORCID
