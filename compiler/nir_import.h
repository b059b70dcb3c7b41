// NIR graphs as xbar models and back (docs/nir.md "On the chip"): what the compiler maps onto
// crossbars is a chain of weight layers, each followed by a neuron population.
//
// Import: a graph that is a chain of stages
//     [SumPool2d | AvgPool2d] [Flatten] (Affine | Linear | Conv2d) [Scale] neuron
// becomes one xbar layer per stage (compiler/layer_shape.h): the weight node is its matrix (an
// Affine's or Conv2d's non-zero bias its bias row), the pooling pools what drives its word lines
// (the spikes of the layer before), a Scale is folded into the weights' rows, and the neuron node
// is the layer's population. A recurrent weight (an Affine or Linear reading a population and
// feeding it back, the edge carrying the step before) becomes more fan-in rows of the same layer:
// its word lines are driven by the population's own spikes of the step before. Anything else (a
// branch, two weight nodes in a row, a neuron without a weight in front, a Threshold) is refused
// with one line naming the node.
//
// Export writes a model as the same chain, so importing the export gives the model back.
#pragma once

#include <string>

#include "compiler/model.h"
#include "compiler/nir_network.h"
#include "support/error.h"

namespace xbar::compiler {

/// The model of `net` (spike-train encoding, one population per layer). Errors
/// (kFailedPrecondition) name `source`, the node and why xbar cannot map it.
Expected<Model> ModelFromNir(const NirNetwork& net, const std::string& source);

/// The NIR graph of a spiking model: format 0.2 when every population resets as NIR 0.x files
/// mean (IF by subtraction, the others to zero), else 1.0 with explicit v_reset. A model whose
/// resets neither can express, or a MIF model, is kFailedPrecondition naming the layer.
Expected<NirGraph> NirFromModel(const Model& model);

}  // namespace xbar::compiler
