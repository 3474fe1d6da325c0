// The codec lives in @tsdl/nn (below keras), so nn's state-dict files and keras' saved models share one reader.
export { type StTensor, type StDType, encodeSafetensors, decodeSafetensors } from '@tsdl/nn';
