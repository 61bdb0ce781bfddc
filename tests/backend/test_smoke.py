from tests.backend.conftest import ASSISTANT


def test_profile_and_search(client, world):
    r = client.get("/api/v1/entities/91220202ma0y3k7q6l", headers=ASSISTANT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "吉林市江城建材有限公司"
    assert body["registered_contact"] == "139****0001"
    r = client.get("/api/v1/entities", params={"q": "江城建"}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["uscc"] == "91220202MA0Y3K7Q6L"
