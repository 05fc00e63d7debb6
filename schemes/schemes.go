// Package schemes ships the grouping schemes authored in this repository, so that the
// demo runs without files beside the binary. A bureau's own scheme is loaded from a path.
package schemes

import _ "embed"

// DemoDRG is the yibao demonstration DRG scheme (docs/scheme-format.md), written for the
// synthetic region: 20 MDCs, 68 ADRGs, each split by MCC/CC.
//
//go:embed demo-drg.json
var DemoDRG []byte
