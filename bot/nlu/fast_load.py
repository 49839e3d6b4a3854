"""DIET and the response selector, loaded for reading without a training step.

Rasa builds a loaded DIET-family model by running one training step on an example (``fit``) so
that every weight, the optimizer's included, exists before ``load_weights``. Tracing that step
(the backward pass and the CRF's loss) is most of a model load: the assistant's model loaded in
47.5 s so and in 10.6 s without the step, reading 155 sentences identically
(docs/performance.md). A model that only reads needs neither the step nor the optimizer:
TensorFlow's checkpoints restore a weight the moment a layer creates it, so restoring first and
then reading one example (which Rasa does anyway, to trace the reading) builds every layer a
reading uses with its trained value. The restore is checked: every weight built must have been in
the checkpoint, or the stock load runs instead.

The components here (``QuickLoading...``) are Rasa's own with that load; they train exactly as
Rasa's do, and fine-tuning (``rasa train --finetune``), which needs the optimizer, takes Rasa's
load.
"""

from __future__ import annotations

import logging
from typing import Any, Optional, Text, Type

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers import diet_classifier
from rasa.nlu.selectors import response_selector
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

log = logging.getLogger(__name__)


class ReadsWithoutTraining:
    """Mixin for a ``RasaModel``: ``load`` restores the weights a reading needs, no more."""

    @classmethod
    def load(  # type: ignore[override]
        cls,
        model_file_name: Text,
        model_data_example: RasaModelData,
        predict_data_example: Optional[RasaModelData] = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        stock = super().load  # type: ignore[misc]
        if finetune_mode or predict_data_example is None:
            return stock(model_file_name, model_data_example, predict_data_example,
                         finetune_mode, *args, **kwargs)
        model = cls(*args, **kwargs)
        status = model.load_weights(model_file_name)
        # Builds (and traces) what a reading uses; each weight takes its value as it is made.
        model.run_inference(predict_data_example)
        try:
            status.assert_existing_objects_matched()
        except AssertionError as missing:
            log.warning("%s: not every weight was restored (%s); loading it as Rasa does",
                        model_file_name, missing)
            return stock(model_file_name, model_data_example, predict_data_example,
                         finetune_mode, *args, **kwargs)
        status.expect_partial()  # the optimizer's slots are for training only
        return model


class DIET(ReadsWithoutTraining, diet_classifier.DIET):
    """Rasa's DIET model, loaded for reading."""


class DIET2BOW(ReadsWithoutTraining, response_selector.DIET2BOW):
    """Rasa's response selector model (labels as bags of words), loaded for reading."""


class DIET2DIET(ReadsWithoutTraining, response_selector.DIET2DIET):
    """Rasa's response selector model (labels as text), loaded for reading."""


class QuickLoadingDIETClassifier(diet_classifier.DIETClassifier):
    """Rasa's DIET classifier whose trained model loads for reading (the ensemble's members)."""

    @staticmethod
    def model_class() -> Type[RasaModel]:
        return DIET


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class QuickLoadingResponseSelector(response_selector.ResponseSelector):
    """Rasa's response selector whose trained model loads for reading (registered under its own
    name: Rasa's recipe keys components by class name, and ``ResponseSelector`` stays Rasa's)."""

    @staticmethod
    def model_class(use_text_as_label: bool) -> Type[RasaModel]:  # type: ignore[override]
        return DIET2DIET if use_text_as_label else DIET2BOW
