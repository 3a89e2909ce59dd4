from tests.factories import auth, make_admin, make_question, make_teacher


def ids(response):
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_teacher_lists_only_their_questions_and_admin_lists_all(client):
    mine, theirs = make_teacher(), make_teacher()
    own = make_question(mine)
    other = make_question(theirs)
    assert ids(client.get("/api/questions", headers=auth(mine))) == [own.id]
    assert set(ids(client.get("/api/questions", headers=auth(make_admin())))) == {own.id, other.id}
    assert ids(client.get(f"/api/questions?teacher_id={theirs.id}", headers=auth(make_admin()))) == [other.id]


def test_filters_by_type_topic_difficulty_and_search(client):
    teacher = make_teacher()
    tf = make_question(teacher, type="true_false", topic="Physics", difficulty="hard", text="Light is fast")
    make_question(teacher, type="mcq", topic="Algebra", difficulty="easy", text="Solve x")
    headers = auth(teacher)
    assert ids(client.get("/api/questions?type=true_false", headers=headers)) == [tf.id]
    assert ids(client.get("/api/questions?topic=physics", headers=headers)) == [tf.id]
    assert ids(client.get("/api/questions?difficulty=hard", headers=headers)) == [tf.id]
    assert ids(client.get("/api/questions?search=LIGHT", headers=headers)) == [tf.id]
    assert client.get("/api/questions?type=essay", headers=headers).status_code == 422


def test_archived_questions_are_listed_only_when_asked_for(client):
    teacher = make_teacher()
    live = make_question(teacher)
    archived = make_question(teacher, is_archived=True)
    headers = auth(teacher)
    assert ids(client.get("/api/questions", headers=headers)) == [live.id]
    assert ids(client.get("/api/questions?is_archived=true", headers=headers)) == [archived.id]


def test_pagination_and_ordering(client):
    teacher = make_teacher()
    questions = [make_question(teacher, marks=marks) for marks in (3, 1, 2)]
    headers = auth(teacher)
    page = client.get("/api/questions?ordering=marks&limit=2&page=1", headers=headers).get_json()
    assert [item["marks"] for item in page["items"]] == [1, 2]
    assert (page["total"], page["pages"], page["limit"]) == (3, 2, 2)
    second = client.get("/api/questions?ordering=-marks&page_size=2&page=2", headers=headers).get_json()
    assert [item["id"] for item in second["items"]] == [questions[1].id]
    assert client.get("/api/questions?ordering=password", headers=headers).status_code == 422


def test_listing_costs_the_same_queries_for_1_or_20_rows(client, count_queries):
    teacher = make_teacher()
    for n in range(22):
        make_question(teacher, type=("mcq", "true_false", "short_answer", "descriptive")[n % 4])
    headers = auth(teacher)
    counts = {}
    for limit in (1, 20):
        with count_queries() as counted:
            response = client.get(f"/api/questions?limit={limit}", headers=headers)
        assert len(response.get_json()["items"]) == limit
        counts[limit] = counted.count
    assert counts[1] == counts[20]
