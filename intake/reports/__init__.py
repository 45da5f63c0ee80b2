"""What reporters give: submitting a report and following it up with the report key (``submission``), the
city's questionnaires (``questionnaires``), attachments cleaned of metadata and sealed (``attachments``), an
optional identity (``identity``), reviewers' requests for more information (``requests_for_information``),
reports that staff record on a reporter's behalf (``staff_intake``), and what the report form offers
(``forms``). Nothing here imports casework/: reporting stands on its own."""
