// Package schemes ships the grouping schemes authored in this repository, so that the
// demo runs without files beside the binary. A bureau's own scheme is loaded from a path.
package schemes

import _ "embed"

// DemoDRG is the yibao demonstration DRG scheme (docs/scheme-format.md), written for the
// synthetic region: 20 MDCs, 68 ADRGs, each split by MCC/CC.
//
//go:embed demo-drg.json
var DemoDRG []byte

// DemoID is the demo scheme's id (scheme.id in demo-drg.json).
const DemoID = "yibao-demo-drg"

// Builtin returns the text of a scheme shipped in the binary, by its short name ("demo")
// or its scheme id; ok is false for any other name.
func Builtin(name string) (text []byte, ok bool) {
	switch name {
	case "demo", DemoID:
		return DemoDRG, true
	}
	return nil, false
}

// BuiltinNames are the short names Builtin knows, for help texts.
func BuiltinNames() []string { return []string{"demo"} }
