"""HTML to clean text keeps the author's words and drops everything else."""

from harvester.text import html_to_text


def test_scripts_quotes_and_reply_links_are_dropped():
    fragment = (
        "<div><blockquote>Kutipan komentar lama</blockquote>"
        "<script>alert('x')</script><style>p{}</style>"
        "<p>Air sonde jalan di <b>Naikoten</b> &amp; Fontein.</p>"
        "<div class='quote'>Oma menulis: ...</div>"
        "<a href='/balas/1'>Balas</a> <a href='#'>Reply</a></div>"
    )
    assert html_to_text(fragment) == "Air sonde jalan di Naikoten & Fontein."


def test_paragraphs_and_line_breaks_become_lines():
    text = html_to_text("<p>Baris satu<br/>baris dua</p><p>Paragraf   kedua</p>")
    assert text == "Baris satu\nbaris dua\n\nParagraf kedua"


def test_author_words_that_look_like_links_are_kept():
    assert html_to_text("Lihat <a href='https://x.test'>foto jalan</a> ini") == (
        "Lihat foto jalan ini"
    )


def test_plain_text_is_unescaped_and_trimmed():
    assert html_to_text("  Lampu mati &amp; gelap  ") == "Lampu mati & gelap"
    assert html_to_text("beta pung emoji 😂") == "beta pung emoji 😂"
