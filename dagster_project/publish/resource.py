"""The warehouse resource the definitions register: :class:`~dagster_project.common.resource.WarehouseResource`
(build file, read-only connections, dbt's ``--vars``) plus publishing the build file
(:func:`dagster_project.publish.atomic.publish`). A subclass, so that the stages below publish
depend on the resource without depending on publish."""

from __future__ import annotations

from dagster_project.common.resource import WarehouseResource
from dagster_project.publish import atomic


class PublishingWarehouseResource(WarehouseResource):
    """The warehouse resource of the definitions: every stage's :class:`WarehouseResource`, and publish."""

    def publish(self, run_id: str) -> dict:
        return atomic.publish(self.layout, run_id, reuse_exports=self.incremental)
