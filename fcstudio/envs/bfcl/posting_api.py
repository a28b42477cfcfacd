"""BFCL's ``TwitterAPI`` (module ``posting_api``): one account that posts, retweets, comments and follows.

Behaviour follows bfcl-eval's ``posting_api`` exactly, quirks included:

- scenario values are used as they are (only ``tweets`` is rebuilt, with its keys made ``int``), so calls
  mutate the objects passed in; ``comments`` keeps the scenario's string keys, so a comment on tweet ``1``
  opens a new ``1`` list beside an existing ``"1"`` one;
- ``post_tweet``'s ``tags`` and ``mentions`` defaults are single lists shared by every call in the process,
  stored in the tweet as they are, so a later ``mention`` on such a tweet extends the shared default;
- ``mention`` and the read methods need no login; the others answer an error dict without one.
"""

from __future__ import annotations

import ast
import copy
from typing import Any

from fcstudio.envs.bfcl import calls
from fcstudio.envs.bfcl.world import PROCESS, World

_DEFAULT_STATE: dict[str, Any] = {
    "username": "john",
    "password": "john123",
    "authenticated": False,
    "tweets": {},
    "comments": {},
    "retweets": {},
    "following_list": ["alice", "bob"],
    "tweet_counter": 0,
}


def _not_authenticated(action: str) -> dict[str, str]:
    return {"error": f"User not authenticated. Please authenticate before {action}."}


def _not_found(tweet_id: Any) -> dict[str, str]:
    return {"error": f"Tweet with ID {tweet_id} not found."}


class _SharedList:
    """Stands for BFCL's mutable default list (an explicit ``None`` from a model stays ``None``, as in BFCL)."""

    def __repr__(self) -> str:
        return "[]"


_SHARED_LIST = _SharedList()


class TwitterAPI:
    """Tweets by id, comments by tweet id, retweets by username, and the account's following list."""

    _world: World = PROCESS  # set by the Session that owns the instance

    @staticmethod
    def _shares_world(long_context: bool, ground_truth: list[list[str]]) -> bool:
        """Whether the model's and the ground truth's instances may share objects in a check (see ``world``):
        only through ``post_tweet``'s default lists, which a ground-truth tweet holds only when one of its
        ``post_tweet`` calls leaves ``tags`` or ``mentions`` out (or is too involved to tell)."""
        for call in (c for turn in ground_truth for c in turn):
            if "post_tweet" not in call:
                continue
            try:
                node = calls.parse(call)
            except SyntaxError:
                continue  # an error result: it posts nothing
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                return True
            if node.func.id != "post_tweet" or any(isinstance(a, ast.Starred) for a in node.args):
                return True  # a nested or unpacked post_tweet: too involved to tell
            given, named = len(node.args), {k.arg for k in node.keywords}
            if None in named or not ((given >= 2 or "tags" in named) and (given >= 3 or "mentions" in named)):
                return True
        return False

    username: str
    password: str
    authenticated: bool
    tweets: dict[int, dict[str, Any]]
    comments: dict[Any, list[dict[str, str]]]
    retweets: dict[str, list[int]]
    following_list: list[str]
    tweet_counter: int  # the next tweet's id; need not equal len(tweets)

    def __init__(self) -> None:
        self._api_description = (
            "This tool belongs to the TwitterAPI, which provides core functionality for posting tweets, "
            "retweeting, commenting, and following users on Twitter."
        )

    def _load_scenario(self, scenario: dict, long_context: bool = False) -> None:
        """Take each field from the scenario, else a fresh copy of the default; tweet keys become ``int``.

        There is no long-context variant of this class: ``long_context`` is accepted and ignored."""
        defaults = copy.deepcopy(_DEFAULT_STATE)
        self.username = scenario.get("username", defaults["username"])
        self.password = scenario.get("password", defaults["password"])
        self.authenticated = scenario.get("authenticated", defaults["authenticated"])
        tweets = scenario.get("tweets", defaults["tweets"])
        self.tweets = {int(key): tweet for key, tweet in tweets.items()}  # JSON keys are strings
        self.comments = scenario.get("comments", defaults["comments"])
        self.retweets = scenario.get("retweets", defaults["retweets"])
        self.following_list = scenario.get("following_list", defaults["following_list"])
        self.tweet_counter = scenario.get("tweet_counter", defaults["tweet_counter"])

    def authenticate_twitter(self, username: str, password: str) -> dict[str, bool]:
        if username == self.username and password == self.password:
            self.authenticated = True
            return {"authentication_status": True}
        return {"authentication_status": False}

    def posting_get_login_status(self) -> dict[str, bool | str]:
        return {"login_status": bool(self.authenticated)}

    def post_tweet(
        self,
        content: str,
        tags: list[str] = _SHARED_LIST,  # type: ignore[assignment]
        mentions: list[str] = _SHARED_LIST,  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Store a tweet under the next id and answer it (the stored dict itself).

        Left out, ``tags`` and ``mentions`` are BFCL's mutable default lists: one list each, stored in every such
        tweet and shared by the world's instances (a ``mention`` on one such tweet shows in all of them)."""
        if tags is _SHARED_LIST:
            tags = self._world.get("TwitterAPI.post_tweet.tags", list)
        if mentions is _SHARED_LIST:
            mentions = self._world.get("TwitterAPI.post_tweet.mentions", list)
        if not self.authenticated:
            return _not_authenticated("posting")
        tweet = {
            "id": self.tweet_counter,
            "username": self.username,
            "content": content,
            "tags": tags,
            "mentions": mentions,
        }
        self.tweets[self.tweet_counter] = tweet
        self.tweet_counter += 1
        return tweet

    def retweet(self, tweet_id: int) -> dict[str, str]:
        if not self.authenticated:
            return _not_authenticated("retweeting")
        if tweet_id not in self.tweets:
            return _not_found(tweet_id)
        mine = self.retweets.setdefault(self.username, [])
        if tweet_id in mine:
            return {"retweet_status": "Already retweeted"}
        mine.append(tweet_id)
        return {"retweet_status": "Successfully retweeted"}

    def comment(self, tweet_id: int, comment_content: str) -> dict[str, str]:
        if not self.authenticated:
            return _not_authenticated("commenting")
        if tweet_id not in self.tweets:
            return _not_found(tweet_id)
        self.comments.setdefault(tweet_id, []).append({"username": self.username, "content": comment_content})
        return {"comment_status": "Comment added successfully"}

    def mention(self, tweet_id: int, mentioned_usernames: list[str]) -> dict[str, str]:
        """Extend the tweet's own mentions list in place; no login needed."""
        if tweet_id not in self.tweets:
            return _not_found(tweet_id)
        self.tweets[tweet_id]["mentions"].extend(mentioned_usernames)
        return {"mention_status": "Users mentioned successfully"}

    def follow_user(self, username_to_follow: str) -> dict[str, Any]:
        if not self.authenticated:
            return _not_authenticated("following")
        if username_to_follow in self.following_list:
            return {"follow_status": False}
        self.following_list.append(username_to_follow)
        return {"follow_status": True}

    def list_all_following(self) -> dict[str, Any]:
        if not self.authenticated:
            return _not_authenticated("listing following")
        return {"following_list": self.following_list}

    def unfollow_user(self, username_to_unfollow: str) -> dict[str, Any]:
        if not self.authenticated:
            return _not_authenticated("unfollowing")
        if username_to_unfollow not in self.following_list:
            return {"unfollow_status": False}
        self.following_list.remove(username_to_unfollow)
        return {"unfollow_status": True}

    def get_tweet(self, tweet_id: int) -> dict[str, Any]:
        if tweet_id not in self.tweets:
            return _not_found(tweet_id)
        return self.tweets[tweet_id]

    def get_user_tweets(self, username: str) -> list[dict[str, Any]]:
        return [tweet for tweet in self.tweets.values() if tweet["username"] == username]

    def search_tweets(self, keyword: str) -> list[dict[str, Any]]:
        """Tweets whose content, or else one of whose tags, contains ``keyword`` (case-insensitive).

        ``keyword.lower()`` runs once per tweet, so a non-string keyword only fails when there are tweets."""
        found = []
        for tweet in self.tweets.values():
            if keyword.lower() in tweet["content"].lower():
                found.append(tweet)
            elif keyword.lower() in [tag.lower() for tag in tweet["tags"]]:
                found.append(tweet)
        return found

    def get_tweet_comments(self, tweet_id: int) -> Any:
        """The tweet's comments (the stored list), or an error dict for an unknown tweet."""
        if tweet_id not in self.tweets:
            return _not_found(tweet_id)
        return self.comments.get(tweet_id, [])

    def get_user_stats(self, username: str) -> dict[str, int]:
        tweet_count = len(self.get_user_tweets(username))
        following_count = len(self.following_list) if username == self.username else 0
        retweet_count = len(self.retweets.get(username, []))
        return {"tweet_count": tweet_count, "following_count": following_count, "retweet_count": retweet_count}
