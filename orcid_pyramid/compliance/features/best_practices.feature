@best-practices
Feature: Best practices
  OAuth and ORCID best practices the review checks.

  @BP-1
  Scenario: The OAuth screen is pre-filled and a state is sent
    Given a researcher is signed in to the site
    When the researcher starts connecting their ORCID iD
    Then the authorize URL carries the researcher's names and email
    And the authorize URL carries an unguessable state

  @BP-1 @breach
  Scenario: A replayed state is refused
    Given a researcher is signed in to the site
    When the researcher connects their ORCID iD twice with the same state
    Then the second callback is refused and no second token is requested

  @BP-1 @breach
  Scenario: A state the site never issued is refused
    Given a researcher is signed in to the site
    When the callback arrives with a state that was never issued
    Then the callback is refused before any token is requested

  @BP-1 @browser
  Scenario: The ORCID sign-in page opens pre-filled
    Given a researcher is signed in to the site in a browser
    When the researcher presses the connect button in the browser
    Then ORCID's sign-in page shows the researcher's email

  @BP-2
  Scenario: The connect step ends any ORCID session before ORCID's sign-in page
    Given a researcher is signed in to the site
    When the researcher starts connecting their ORCID iD
    Then the connect page signs the browser out of ORCID before going to ORCID

  @BP-2 @browser
  Scenario: The browser is signed out of ORCID before connecting
    Given a researcher is signed in to the site in a browser
    When the researcher presses the connect button in the browser
    Then the browser was signed out of ORCID before ORCID's sign-in page opened

  @BP-3
  Scenario: Users can remove their iD and data
    Given a researcher has connected their ORCID iD
    And the site sends a work to the researcher's ORCID record
    When the researcher disconnects their ORCID iD
    Then the token is revoked at ORCID
    And the site keeps no token, put code or call log of the researcher

  @BP-4
  Scenario: Existing permissions are checked before asking again
    Given a researcher has connected their ORCID iD
    When the researcher asks to connect again
    Then the site does not send the researcher to ORCID again

  @BP-5
  Scenario: Changes to an item on ORCID are a PUT to its put code
    Given a researcher has connected their ORCID iD
    When the site sends a work to the researcher's ORCID record
    And the work is changed on the site and sent again
    Then the change was a PUT to the work's put code
    And the researcher's record holds the work once

  @BP-6
  Scenario: The authenticated iD is shown per ORCID's branding guidelines
    Given a researcher has connected their ORCID iD
    When the researcher opens their ORCID panel
    Then the iD is shown with the green iD icon and its full https URI, linked

  @BP-6
  Scenario: The connect button uses ORCID's wording and iD icon
    Given a researcher is signed in to the site
    When the researcher opens their ORCID panel
    Then the panel offers ORCID's connect button with the green iD icon

  @BP-6 @breach
  Scenario: An iD that was not authenticated gets no iD icon
    Then an iD typed by someone is displayed without the iD icon
