"""What reviewers do with a case: the inbox (``inbox``), reading a case and replying (``cases``), the case page
(``page``), the questionnaire answers and files on it (``files``), ISO 37002 status changes
(``status_changes``), assignment, internal notes, redaction, closed records under RSMo 610.021, deadlines,
export, and statistics."""
