"""Proof sheets: every poster a campaign can produce, rendered ahead of the event and checked.

``reach`` searches the answer space (outcomes no answers reach, questions that never show), ``run`` renders a
poster and share card for every language × outcome × style with sample answers and checks each (texts cut or
past their box, WCAG contrast against the pixels behind the text, the QR code read back), ``sheet`` writes the
contact sheet (index.html), report.json and the printed report.
"""
