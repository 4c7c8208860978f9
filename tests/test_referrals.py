"""Referral codes on posters bring new attendees; the share tree says who brought whom (operators only)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from posterbooth.models import Participation
from tests.attendee import SPRING, complete
from tests.qr_decode import decode_poster_qr

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:s3cret-pass").decode()}


class ClosingClient(FlaskClient):
    """A test browser that closes every response, as a WSGI server does (this is when events are sent)."""

    def open(self, *args, **kwargs):  # noqa: D102 - same as FlaskClient.open
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def admin_app(app_env):
    """Return the app with an operator password set, whose test clients close their responses."""
    from posterbooth import create_app

    application = create_app({"TESTING": True, "ADMIN_PASSWORD": "s3cret-pass"})
    application.test_client_class = ClosingClient
    yield application
    application.extensions["posterbooth.db"].dispose()


def run_worker(app) -> None:
    """Run a real rq worker (burst) over the app's queue."""
    from rq import SimpleWorker

    queue = app.extensions["posterbooth.queue"]
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")


def participate(app, client, media: str) -> tuple[Participation, str]:
    """Make a poster for this browser; return the participation and the URL its QR code encodes."""
    public_id = complete(client, "spring-outing", SPRING).rsplit("/", 1)[-1]
    run_worker(app)
    with app.extensions["posterbooth.db"].session() as session:
        participation = session.scalars(select(Participation).where(Participation.public_id == public_id)).one()
    assert participation.status == "done", participation.error_detail
    poster = Image.open(io.BytesIO((Path(media) / participation.poster_path).read_bytes())).convert("RGB")
    qr = app.extensions["posterbooth.campaigns"]["spring-outing"].definition.poster.qr
    url = decode_poster_qr(poster, (qr.x, qr.y, qr.size))
    assert url, "the poster's QR code does not decode"
    return participation, url


def visit(client, url: str) -> None:
    """Scan a QR code: open its URL in this browser."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "https://event.example.com"
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200


@pytest.mark.slow
def test_a_brings_b_and_b_brings_c(admin_app, app_env):
    app, media = admin_app, app_env["MEDIA_DIR"]
    alice = app.test_client()
    a, a_qr = participate(app, alice, media)
    assert a_qr == f"https://event.example.com/c/spring-outing?ref={a.referral_code}"

    bob = app.test_client()
    visit(bob, a_qr)
    b, b_qr = participate(app, bob, media)
    assert b.referrer_id == a.id and b_qr.endswith(f"?ref={b.referral_code}")

    carol = app.test_client()
    visit(carol, b_qr)
    c, _c_qr = participate(app, carol, media)
    assert c.referrer_id == b.id

    dave = app.test_client()  # scans Alice's code and leaves without playing
    visit(dave, a_qr)
    # Alice plays again through Bob's code: a second poster, but she is not a new participant.
    visit(alice, b_qr + "&again=1")
    a2, _ = participate(app, alice, media)
    assert a2.referrer_id == b.id

    response = app.test_client().get("/admin/c/spring-outing/referrals.json", headers=AUTH)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    tree = response.get_json()
    assert tree["campaign"] == "spring-outing"
    assert tree["participants"] == 3 and tree["referred"] == 2
    assert tree["depth"] == 2 and tree["generations"] == [1, 1, 1]
    assert tree["sharers"] == 2 and tree["new_per_sharer"] == 1.0
    assert tree["k_factor"] == round(2 / 3, 4)
    nodes = {node["code"]: node for node in tree["nodes"]}
    assert set(nodes) == {a.referral_code, b.referral_code, c.referral_code}
    alice_node, bob_node, carol_node = nodes[a.referral_code], nodes[b.referral_code], nodes[c.referral_code]
    assert alice_node["codes"] == [a.referral_code, a2.referral_code]
    assert (alice_node["depth"], alice_node["referred_by"]) == (0, None)
    assert (bob_node["depth"], bob_node["referred_by"]) == (1, a.referral_code)
    assert (carol_node["depth"], carol_node["referred_by"]) == (2, b.referral_code)
    assert [alice_node["new_participants"], bob_node["new_participants"], carol_node["new_participants"]] == [1, 1, 0]
    assert [alice_node["descendants"], bob_node["descendants"], carol_node["descendants"]] == [2, 1, 0]
    # Visits that arrived with a code: Bob and Dave through Alice's; Carol through Bob's (Alice's own visit
    # through Bob's code counts too: she is a visitor Bob brought back, though not a new participant).
    assert alice_node["referred_visitors"] == 2
    assert bob_node["referred_visitors"] == 2
    assert carol_node["referred_visitors"] == 0


def test_share_page_visits_count_for_the_sharer(admin_app, app_env):
    app = admin_app
    a, _ = participate(app, app.test_client(), app_env["MEDIA_DIR"])
    friend = app.test_client()
    page = friend.get(f"/s/{a.share_token}").get_data(as_text=True)
    try_url = page.split('class="button primary big" href="')[1].split('"')[0].replace("&amp;", "&")
    assert friend.get(try_url).status_code == 200
    b, _ = participate(app, friend, app_env["MEDIA_DIR"])
    assert b.referrer_id == a.id
    tree = app.test_client().get("/admin/c/spring-outing/referrals.json", headers=AUTH).get_json()
    node = next(n for n in tree["nodes"] if n["code"] == a.referral_code)
    assert node["share_page_viewers"] == 1 and node["referred_visitors"] == 1 and node["new_participants"] == 1


def test_reports_need_the_operator_password(admin_app, app):
    assert app.test_client().get("/admin/c/spring-outing/referrals.json", headers=AUTH).status_code == 404
    client = admin_app.test_client()
    for url in ("/admin/c/spring-outing/referrals.json", "/admin/c/spring-outing/funnel.json"):
        missing = client.get(url)
        assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Basic realm=")
        wrong = {"Authorization": "Basic " + base64.b64encode(b"admin:nope").decode()}
        assert client.get(url, headers=wrong).status_code == 401
        user = {"Authorization": "Basic " + base64.b64encode(b"root:s3cret-pass").decode()}
        assert client.get(url, headers=user).status_code == 401
        assert client.get(url, headers=AUTH).status_code == 200
    assert client.get("/admin/c/no-such-campaign/referrals.json").status_code == 401
    assert client.get("/admin/c/no-such-campaign/referrals.json", headers=AUTH).status_code == 404


def test_empty_campaign_has_an_empty_tree(admin_app):
    tree = admin_app.test_client().get("/admin/c/dream-weekend/referrals.json", headers=AUTH).get_json()
    assert tree == {"campaign": "dream-weekend", "participants": 0, "referred": 0, "depth": 0, "generations": [],
                    "sharers": 0, "k_factor": 0.0, "new_per_sharer": 0.0, "nodes": []}
