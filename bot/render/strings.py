"""Every sentence the bot says of its own, in one place (replies to Discord, the console
and the command line are built from these).
"""

from __future__ import annotations

DECLINED = "I couldn't find that in the articles."
NEW_ARTICLE = "New: {title} <{url}>"  # the console, as articles arrive in the folder
SUBSCRIBED = "I'll post {what} in {channel}{ping}."
UNSUBSCRIBED = "Removed {count} from {channel}."
NOT_SUBSCRIBED = "{channel} has no subscription to remove."
NO_SUBSCRIPTIONS = "No channel here gets new articles yet; an admin can `subscribe #channel`."
ROLE_NOT_PINGABLE = "That role can't be pinged for announcements; choose a role members can have."
ASK_EXAMPLE = "how many takes did the motorbike stunt need?"
UNSURE = "This may not answer it exactly: the article has the details."
QUERY_TOO_LONG = "That search is too long; keep it under {limit} characters."
EMPTY_QUERY = "Tell me what to look for, e.g. {example}."
EMPTY_QUESTION = "What would you like to know? For example: {example}"
QUESTION_TOO_LONG = "That question is too long; keep it under {limit} characters."
COUNT_RANGE = "The count must be a whole number from 1 to 10."
NOT_ALLOWED = "Sorry, only server managers and the bot's admins can do that."
OWNER_ONLY = "Only the bot's owner can do that."
INTERNAL = "Something went wrong on my side; it has been logged. Please try again later."
OUT_OF_DATE = (
    "That command has changed since Discord last heard about it; please try again in a "
    "minute (an admin can run sync to update it now)."
)
OUT_OF_RANGE = "That must be from {minimum} to {maximum}."
SERVER_ONLY = "That command only works in a server."
CHOOSE_ONE = "Choose {options}."
SETTINGS_HOW = (
    "Change one with `settings <name> <value>`, e.g. `settings prefix ?` or "
    "`settings channels add #search`; `settings reset <name>` restores the default."
)
SETTING_CHANGED = "{label}: {value}."
SETTING_RESET = "{label} is back to the default: {value}."
CHANNEL_NEEDED = "Name the channel too, e.g. `settings channels add #search`."
WRONG_CHANNEL = "I answer in {channels} on this server."
REINDEX_FAILED = "The reindex failed and the previous index is still in use: {why}"
WHICH_ARTICLE = "Which article? For example {example}."
SYNC_NEEDS_GUILD = "Set ARTICLEBOT_DEV_GUILD_ID to sync to a guild."
SYNC_REFUSED = "Discord refused the sync: {status}."
SYNCED = "Published {count} slash commands {where}: {names}"
NO_SEARCH_YET = "There is no search to page through yet; try: search cruise stunt"
FIRST_PAGE = "This is the first page."
LAST_PAGE = "That was the last page."
NOT_UTF8 = "(That line had bytes that are not UTF-8; they are shown as \ufffd.)"
ONLY_ASKER = "Only the person who searched can turn these pages."
REPORT_EMPTY = (
    "Nobody searched, asked or listed anything in the last {days}, so there is nothing to "
    "report yet."
)
REPORT_NO_MISSES = "None: every search found something."
REPORT_NO_DECLINES = "None: every question was answered."
REPORT_NO_OPENS = "No result was opened."
REPORT_NO_SEARCHES = "No searches."
REPORT_FOOTER = "Queries that differ only in case, spacing or word order count as one."
