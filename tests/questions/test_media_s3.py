"""The S3 media store against a real S3 endpoint served locally (moto's server)."""
import socket

import pytest

from app.errors import NotFound
from app.questions.storage import LocalStore, S3Store, build_store
from tests.factories import auth, make_class, make_question, make_teacher
from tests.questions.media_helpers import png, upload

BUCKET = "question-media"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_endpoint, monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    store = build_store({"MEDIA_STORAGE": "s3", "MEDIA_S3_BUCKET": BUCKET, "MEDIA_S3_ENDPOINT_URL": s3_endpoint,
                         "MEDIA_S3_REGION": "us-east-1", "MEDIA_ROOT": None}, "/nowhere")
    store.client.create_bucket(Bucket=BUCKET)
    yield store
    for item in store.client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        store.client.delete_object(Bucket=BUCKET, Key=item["Key"])
    store.client.delete_bucket(Bucket=BUCKET)


def test_the_s3_store_puts_gets_and_deletes(s3_store):
    assert isinstance(s3_store, S3Store)
    s3_store.put("questions/q1/m1", png(), "image/png")
    assert s3_store.get("questions/q1/m1") == png()
    head = s3_store.client.head_object(Bucket=BUCKET, Key="questions/q1/m1")
    assert head["ContentType"] == "image/png"
    s3_store.delete("questions/q1/m1")
    with pytest.raises(NotFound):
        s3_store.get("questions/q1/m1")


def test_uploads_and_signed_urls_work_on_the_s3_store(app, client, s3_store, monkeypatch):
    monkeypatch.setitem(app.extensions, "media_store", s3_store)
    teacher = make_teacher(classes=[make_class()])
    question = make_question(teacher)
    body = upload(client, question.id, teacher, png(), "map.png").get_json()
    assert client.get(body["url"]).data == png()
    keys = [item["Key"] for item in s3_store.client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [f"questions/{question.id}/{body['id']}"]
    client.delete(f"/api/questions/{question.id}/media/{body['id']}", headers=auth(teacher))
    assert "Contents" not in s3_store.client.list_objects_v2(Bucket=BUCKET)


def test_the_configuration_picks_the_store(tmp_path):
    local = build_store({"MEDIA_STORAGE": "local", "MEDIA_ROOT": None}, str(tmp_path))
    assert isinstance(local, LocalStore) and local.root == tmp_path / "media"
    with pytest.raises(RuntimeError, match="MEDIA_S3_BUCKET"):
        build_store({"MEDIA_STORAGE": "s3", "MEDIA_S3_BUCKET": None}, str(tmp_path))
    with pytest.raises(RuntimeError, match="local or s3"):
        build_store({"MEDIA_STORAGE": "ftp"}, str(tmp_path))


def test_a_key_cannot_climb_out_of_the_local_store(tmp_path):
    with pytest.raises(ValueError):
        LocalStore(tmp_path).put("../outside", b"x", "image/png")
