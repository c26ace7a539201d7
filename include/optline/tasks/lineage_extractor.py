"""The OpenLineage provider's extractor for Optline's TaskFlow tasks: the datasets the task's
adapter recorded (`optline.tasks.lineage.record`) on its COMPLETE event. Imported by the provider
alone, from `[openlineage] extractors` (see optline.tasks.lineage.EXTRACTOR)."""

from __future__ import annotations

from typing import Any

from airflow.providers.openlineage.extractors.base import BaseExtractor, OperatorLineage
from openlineage.client.event_v2 import Dataset
from openlineage.client.facet_v2 import column_lineage_dataset as columns
from openlineage.client.facet_v2 import dataset_type_dataset

from optline import lineage
from optline.tasks.lineage import recorded


def to_openlineage(dataset: lineage.Dataset) -> Dataset:
    """An `optline.lineage.Dataset` as an OpenLineage dataset, with its type and column lineage facets."""
    facets: dict[str, Any] = {}
    if dataset.view:
        facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(datasetType="VIEW")
    if dataset.columns:
        facets["columnLineage"] = columns.ColumnLineageDatasetFacet(fields={
            column: columns.Fields(inputFields=[
                columns.InputField(namespace=lineage.WAREHOUSE, name=lineage.PREFIX + source.dataset,
                                   field=source.column,
                                   transformations=[columns.Transformation(type="DIRECT", subtype=source.how)])
                for source in sources])
            for column, sources in dataset.columns})
    return Dataset(namespace=dataset.namespace, name=dataset.name, facets=facets)


class TaskFlowExtractor(BaseExtractor):
    """The datasets an Optline adapter recorded, for the OpenLineage listener."""

    @classmethod
    def get_operator_classnames(cls) -> list[str]:
        return ["_PythonDecoratedOperator"]

    def _execute_extraction(self) -> OperatorLineage | None:
        return OperatorLineage()  # START: nothing is read yet

    def extract_on_complete(self, task_instance: Any) -> OperatorLineage | None:
        found = recorded(task_instance)
        if found is None:
            return OperatorLineage()
        inputs, outputs = found
        if outputs is None:
            outputs = []
        else:  # and the Assets the task updates (the review requests: a dataset of their own)
            named = {d.name for d in outputs}
            outputs = outputs + [d for d in outlet_datasets(self.operator) if d.name not in named]
        return OperatorLineage(inputs=[to_openlineage(d) for d in inputs],
                               outputs=[to_openlineage(d) for d in outputs])


def outlet_datasets(task: Any) -> list[lineage.Dataset]:
    """The task's outlet Assets that are warehouse datasets."""
    return [lineage.asset(a.name, a.uri) for a in getattr(task, "outlets", None) or []
            if getattr(a, "uri", "").startswith(lineage.WAREHOUSE + "/")]
