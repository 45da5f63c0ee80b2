"""Exit interviews: each city's questionnaire as data (``questionnaire``), HR's settings and invitations
(``hr``), the departing employee's survey (``survey``), confidential responses (``responses``), analytics with
cell suppression (``analytics``, ``suppression``), quarters published to the partnership (``regional``), and
the retention purgers for exit data (``retention``)."""
