package yibao

import (
	"strconv"
	"strings"
)

// HospitalTypeLabels names registry hospital types (Chinese, English).
var HospitalTypeLabels = map[string][2]string{"general": {"综合", "general"}, "tcm": {"中医", "TCM"}, "specialty": {"专科", "specialty"}}

// LevelLabels names hospital levels (医院等级).
var LevelLabels = map[int][2]string{1: {"一级", "level 1"}, 2: {"二级", "level 2"}, 3: {"三级", "level 3"}}

// PeerGroupLabel names an evaluation peer group "<level>级-<type>" (as the evaluation forms
// them: hospitals of one level and type) for people; other groups are returned as they are.
func PeerGroupLabel(g string) (zh, en string) {
	l, t, ok := strings.Cut(g, "级-")
	n, err := strconv.Atoi(l)
	lv, okL := LevelLabels[n]
	ty, okT := HospitalTypeLabels[t]
	if !ok || err != nil || !okL || !okT {
		return g, g
	}
	return lv[0] + ty[0] + "医院", lv[1] + " " + ty[1] + " hospitals"
}
