"""BFCL's TwitterAPI (module posting_api) as fcstudio re-implements it: state loading, results as BFCL renders
them, the login checks, and BFCL's quirks (string comment keys, the shared post_tweet default lists)."""

from __future__ import annotations

import inspect

import pytest

from fcstudio.envs.bfcl.classes import func_docs, public_methods
from fcstudio.envs.bfcl.posting_api import TwitterAPI
from fcstudio.envs.bfcl.session import Session, render
from fcstudio.envs.bfcl.world import World


def scenario() -> dict:
    return {
        "username": "u",
        "password": "p",
        "tweet_counter": 5,
        "tweets": {
            "3": {"id": 3, "username": "v", "content": "Hello World", "tags": ["#Greet"], "mentions": []},
        },
        "comments": {"3": [{"username": "v", "comment": "old"}]},
        "retweets": {},
    }


def loaded(state: dict | None = None, *, login: bool = False) -> TwitterAPI:
    api = TwitterAPI()
    api._load_scenario(scenario() if state is None else state)
    if login:
        assert api.authenticate_twitter(api.username, api.password) == {"authentication_status": True}
    return api


def test_methods_and_signatures_match_the_function_docs() -> None:
    docs = {d["name"]: d for d in func_docs("TwitterAPI")}
    assert public_methods(TwitterAPI) == sorted(docs)
    for name, doc in docs.items():
        params = list(inspect.signature(getattr(TwitterAPI, name)).parameters)[1:]
        assert params == list(doc["parameters"]["properties"]), name


def test_defaults_when_the_scenario_is_empty() -> None:
    api = loaded({})
    assert {k: v for k, v in vars(api).items() if not k.startswith("_")} == {
        "username": "john",
        "password": "john123",
        "authenticated": False,
        "tweets": {},
        "comments": {},
        "retweets": {},
        "following_list": ["alice", "bob"],
        "tweet_counter": 0,
    }
    loaded({}, login=True).follow_user("carol")
    assert loaded({}).following_list == ["alice", "bob"]  # each load gets its own copy of the defaults
    api._load_scenario({}, long_context=True)  # no long-context variant
    assert api.following_list == ["alice", "bob"]


def test_tweet_keys_become_int_and_values_stay_shared() -> None:
    state = scenario()
    api = loaded(state)
    assert list(api.tweets) == [3] and api.tweets[3] is state["tweets"]["3"]
    assert api.comments is state["comments"]
    with pytest.raises(ValueError, match="invalid literal for int"):
        loaded({"tweets": {"x": {}}})


def test_post_and_read_back_rendered_as_bfcl_does() -> None:
    api = loaded(login=True)
    assert render(api.posting_get_login_status()) == '{"login_status": true}'
    posted = api.post_tweet("New #x", ["#x"], ["@v"])
    assert render(posted) == '{"id": 5, "username": "u", "content": "New #x", "tags": ["#x"], "mentions": ["@v"]}'
    assert api.tweet_counter == 6 and api.get_tweet(5) is posted
    assert render(api.get_user_tweets("v")) == (
        "[{'id': 3, 'username': 'v', 'content': 'Hello World', 'tags': ['#Greet'], 'mentions': []}]"
    )
    assert api.get_tweet(4) == {"error": "Tweet with ID 4 not found."}
    assert api.mention(3, ["@a", "@b"]) == {"mention_status": "Users mentioned successfully"}
    assert api.tweets[3]["mentions"] == ["@a", "@b"]


def test_search_matches_content_substrings_and_whole_tags() -> None:
    api = loaded()
    assert [t["id"] for t in api.search_tweets("WORLD")] == [3]
    assert [t["id"] for t in api.search_tweets("#greet")] == [3]
    assert api.search_tweets("greet") == []  # not in the content, and a tag must match whole
    assert loaded({}).search_tweets(7) == []  # type: ignore[arg-type]  # keyword.lower() runs per tweet only
    with pytest.raises(AttributeError, match="'int' object has no attribute 'lower'"):
        api.search_tweets(7)  # type: ignore[arg-type]


def test_retweet_comment_and_stats() -> None:
    api = loaded(login=True)
    assert render(api.retweet(3)) == '{"retweet_status": "Successfully retweeted"}'
    assert render(api.retweet(3)) == '{"retweet_status": "Already retweeted"}'
    assert api.retweet("3") == {"error": "Tweet with ID 3 not found."}  # type: ignore[arg-type]
    assert api.retweets == {"u": [3]}
    assert render(api.comment(3, "nice")) == '{"comment_status": "Comment added successfully"}'
    # the scenario's comments keep their string key: the new comment opens a list under the int key
    assert api.comments == {"3": [{"username": "v", "comment": "old"}], 3: [{"username": "u", "content": "nice"}]}
    assert render(api.get_tweet_comments(3)) == "[{'username': 'u', 'content': 'nice'}]"
    assert api.get_tweet_comments(9) == {"error": "Tweet with ID 9 not found."}
    assert api.get_user_stats("u") == {"tweet_count": 0, "following_count": 2, "retweet_count": 1}
    assert api.get_user_stats("v") == {"tweet_count": 1, "following_count": 0, "retweet_count": 0}
    with pytest.raises(TypeError, match="unhashable type: 'list'"):
        api.get_user_stats(["u"])  # type: ignore[arg-type]


def test_follow_and_unfollow() -> None:
    api = loaded({}, login=True)
    assert api.follow_user("alice") == {"follow_status": False}
    assert api.follow_user("carol") == {"follow_status": True}
    assert api.unfollow_user("bob") == {"unfollow_status": True}
    assert api.unfollow_user("bob") == {"unfollow_status": False}
    assert render(api.list_all_following()) == '{"following_list": ["alice", "carol"]}'


def test_login_checks() -> None:
    api = loaded()
    assert api.authenticate_twitter("u", "wrong") == {"authentication_status": False}
    for call, action in (
        (lambda: api.post_tweet("x"), "posting"),
        (lambda: api.retweet(3), "retweeting"),
        (lambda: api.comment(3, "x"), "commenting"),
        (lambda: api.follow_user("x"), "following"),
        (api.list_all_following, "listing following"),
        (lambda: api.unfollow_user("x"), "unfollowing"),
    ):
        assert call() == {"error": f"User not authenticated. Please authenticate before {action}."}
    assert api.tweet_counter == 5 and api.retweets == {} and api.authenticated is False
    assert api.mention(3, ["@a"]) == {"mention_status": "Users mentioned successfully"}  # mention needs no login


def test_default_lists_are_shared_within_a_world_only() -> None:
    """BFCL's mutable defaults: one list per world, stored in every tweet posted without tags or mentions."""
    world = World()
    api = loaded({}, login=True)
    api._world = world
    first, second = api.post_tweet("a"), api.post_tweet("b")
    assert first["tags"] is second["tags"] and first["mentions"] is second["mentions"]
    api.mention(0, ["@z"])  # extends the shared default: tweet 1 and every later default-mentions tweet see it
    assert api.get_tweet(1)["mentions"][-1] == "@z"
    same_world = loaded({}, login=True)
    same_world._world = world
    assert same_world.post_tweet("c")["mentions"][-1] == "@z"
    other = loaded({}, login=True)
    other._world = World()
    assert other.post_tweet("d")["mentions"] == []
    assert api.post_tweet("e", mentions=None)["mentions"] is None  # an explicit None stays None


def test_session_reports_bad_calls_as_bfcl_does() -> None:
    session = Session({"TwitterAPI": scenario()}, ["TwitterAPI"], long_context=False)
    assert session.run("post_tweet()") == (
        "Error during execution: TwitterAPI.post_tweet() missing 1 required positional argument: 'content'"
    )
    assert session.run("post_tweet('a', [], [], 1)") == (
        "Error during execution: TwitterAPI.post_tweet() takes from 2 to 4 positional arguments but 5 were given"
    )
    assert session.run("mention(tweet_id=3, users=['@a'])") == (
        "Error during execution: TwitterAPI.mention() got an unexpected keyword argument 'users'"
    )
    assert session.run("get_tweet(tweet_id=3)") == (
        '{"id": 3, "username": "v", "content": "Hello World", "tags": ["#Greet"], "mentions": []}'
    )


def test_a_check_shares_a_world_only_when_the_ground_truth_posts_with_the_default_lists() -> None:
    shares = TwitterAPI._shares_world
    assert shares(False, [["post_tweet(content='x')"]])  # its tweet holds the shared default lists
    assert shares(False, [["post_tweet(content='x', tags=['#a'])"]])  # mentions left out
    assert not shares(False, [["post_tweet(content='x', tags=['#a'], mentions=[])", "get_tweet(tweet_id=1)"]])
    assert not shares(False, [["post_tweet('x', ['#a'], ['@b'])"], []])
    assert shares(False, [["comment(tweet_id=post_tweet(content='x'), comment_content='c')"]])  # too involved
