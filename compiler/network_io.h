// Conversions between the network's plain C++ parts (neuron, encoding) and xbar.v1 messages,
// shared by every file format that carries a network (model, plan).
#pragma once

#include <optional>
#include <string>

#include "compiler/model.h"
#include "device_models/mif_neuron.h"
#include "support/error.h"
#include "xbar/v1/model.pb.h"

namespace xbar::compiler {

void NeuronToProto(const device_models::MifParams& p, v1::MifNeuron* n);
device_models::MifParams NeuronFromProto(const v1::MifNeuron& n);

/// Layer geometry into / out of a Layer message (its inputs, outputs and weights are the caller's).
void LayerShapeToProto(const LayerShape& s, v1::Layer* layer);
/// Whether the message carries geometry (written by a network that is not plain dense).
bool HasLayerShape(const v1::Layer& layer);
/// Rejects unknown kinds (kDataLoss naming `file` and the layer); sizes are validated later.
Expected<LayerShape> LayerShapeFromProto(const v1::Layer& layer, int index, const std::string& file);

/// A layer's neuron population into / out of its message: a parameter with one value for every
/// neuron is stored once. FromProto broadcasts single values to `neurons`; an unknown kind or
/// reset is kDataLoss naming `file` and the layer; values are validated later.
void PopulationToProto(const device_models::SpikingParams& p, v1::SpikingPopulation* m);
Expected<device_models::SpikingParams> PopulationFromProto(const v1::SpikingPopulation& m, int neurons, int index,
                                                           const std::string& file);

/// NIR neuron kinds as their xbar.v1 enum and back (nullopt for UNSPECIFIED or an unknown value).
v1::SpikingKind SpikingKindToProto(device_models::SpikingKind kind);
std::optional<device_models::SpikingKind> SpikingKindFromProto(int kind);

void EncodingToProto(const Encoding& e, v1::Encoding* p);
/// Rejects an unknown encoding kind (kDataLoss, naming `file`); values are validated later.
Expected<Encoding> EncodingFromProto(const v1::Encoding& p, const std::string& file);

}  // namespace xbar::compiler
