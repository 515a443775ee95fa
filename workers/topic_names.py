"""The default names of every topic (CONTRACT.md and internal), declared once.

Faust-free, so that topic administration and clients can use them without importing the app;
`workers/topics.py` builds the Faust topic objects from them. Names are frozen: renaming one
breaks every client (contract topics) or strands data (internal topics).
"""

TRANSACTIONS = "insights.transactions.v1"
ACCOUNTS = "insights.accounts.v1"
REPORT_REQUESTS = "insights.report-requests.v1"
REPORT_REPLIES = "insights.report-replies.v1"
DEAD_LETTER = "insights.dead-letter.v1"
# Category corrections from clients, keyed by insights_consumer_id (schemas/feedback.py).
CATEGORIZATION_FEEDBACK = "insights.categorization-feedback.v1"

# Records that arrived on a partition other than the one owning their consumer are forwarded
# here, keyed by consumer id, so they reach the owner of its state.
INTERNAL_PREFIX = "insights.internal."
TRANSACTIONS_REKEYED = f"{INTERNAL_PREFIX}transactions-rekeyed.v1"
ACCOUNTS_REKEYED = f"{INTERNAL_PREFIX}accounts-rekeyed.v1"
REPORT_REQUESTS_REKEYED = f"{INTERNAL_PREFIX}report-requests-rekeyed.v1"

CONTRACT_TOPICS = (TRANSACTIONS, ACCOUNTS, REPORT_REQUESTS, CATEGORIZATION_FEEDBACK)
INTERNAL_TOPICS = (TRANSACTIONS_REKEYED, ACCOUNTS_REKEYED, REPORT_REQUESTS_REKEYED)
OUTPUT_TOPICS = (REPORT_REPLIES, DEAD_LETTER)
TABLES = ("transactions", "accounts")

# Report configurations (CONTRACT.md, ConfigCommand/ConfigReply), the jobs their schedules emit,
# commands forwarded to the partition owning their account, and the schedule timer's ticks.
REPORT_CONFIGS = "insights.report-configs.v1"
REPORT_CONFIG_REPLIES = "insights.report-config-replies.v1"
REPORT_JOBS = "insights.report-jobs.v1"
REPORT_CONFIGS_REKEYED = f"{INTERNAL_PREFIX}report-configs-rekeyed.v1"
REPORT_SCHEDULE_TICKS = f"{INTERNAL_PREFIX}report-schedule-ticks.v1"
CONTRACT_TOPICS += (REPORT_CONFIGS,)
INTERNAL_TOPICS += (REPORT_CONFIGS_REKEYED, REPORT_SCHEDULE_TICKS)
OUTPUT_TOPICS += (REPORT_CONFIG_REPLIES, REPORT_JOBS)
TABLES += ("report-configs", "report-config-replies")

# Category corrections forwarded to the partition owning their consumer, and the ticks that
# make each partition's owner rewrite records enriched by an earlier enrichment version.
CATEGORIZATION_FEEDBACK_REKEYED = f"{INTERNAL_PREFIX}categorization-feedback-rekeyed.v1"
ENRICHMENT_REFRESH_TICKS = f"{INTERNAL_PREFIX}enrichment-refresh-ticks.v1"
INTERNAL_TOPICS += (CATEGORIZATION_FEEDBACK_REKEYED, ENRICHMENT_REFRESH_TICKS)
TABLES += ("recurring", "category-corrections")
