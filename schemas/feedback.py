"""The CategorizationFeedback message: a consumer's correction of a transaction's category.

Topic `insights.categorization-feedback.v1`, keyed by `insights_consumer_id`. The corrected
transaction gets `category_id`; with `scope: SIMILAR` (the default) so do the consumer's later
similar transactions (same brand, else same counterparty; docs/enrichment.md defines both).
Redelivering a message with the same `feedback_id` changes nothing; of several corrections of
the same transaction the one with the latest `created_at` wins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from schemas.contract import Identifier
from workers.domain.enrichment.taxonomy import is_category_id

#: TRANSACTION: only the named transaction; SIMILAR: it and the consumer's later similar ones.
FeedbackScope = Literal["TRANSACTION", "SIMILAR"]


def _known_category(value: str) -> str:
    if not is_category_id(value):
        raise ValueError("is not the id of a category of the Category List "
                         "(schemas/categories.json)")
    return value


CategoryId = Annotated[str, AfterValidator(_known_category), Field(
    description="Id of a category of the Category List (schemas/categories.json).",
    json_schema_extra={"format": "uuid"})]


class CategorizationFeedback(BaseModel):
    """A consumer's correction of the category of one of their transactions."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    feedback_id: Identifier = Field(description=(
        "Unique id of this correction: a redelivered message with the same id is ignored."))
    insights_consumer_id: Identifier
    insights_transaction_id: Identifier = Field(description="The corrected transaction.")
    category_id: CategoryId
    scope: FeedbackScope = Field(default="SIMILAR", description=(
        "TRANSACTION: only this transaction; SIMILAR: also the consumer's later transactions "
        "with the same brand, or without a brand the same counterparty."))
    created_at: datetime = Field(description=(
        "When the consumer made the correction (ISO 8601 with offset); the latest correction "
        "of a transaction wins."))

    @model_validator(mode="after")
    def _aware(self) -> CategorizationFeedback:
        if self.created_at.tzinfo is None:
            raise ValueError("created_at needs a UTC offset")
        return self
