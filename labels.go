package yibao

import (
	"fmt"
	"strconv"
	"strings"
)

// HospitalTypeLabels names registry hospital types (Chinese, English).
var HospitalTypeLabels = map[string][2]string{"general": {"综合", "general"}, "tcm": {"中医", "TCM"}, "specialty": {"专科", "specialty"}}

// LevelLabels names hospital levels (医院等级).
var LevelLabels = map[int][2]string{1: {"一级", "level 1"}, 2: {"二级", "level 2"}, 3: {"三级", "level 3"}}

// PeerGroupLabel names an evaluation peer group for people: "<level>级-<type>" (hospitals
// of one level and type), and the merged groups the evaluation forms when a group is too
// small ("<level>级-合并", "<lo>-<hi>级-合并"); other groups are returned as they are.
func PeerGroupLabel(g string) (zh, en string) {
	l, t, ok := strings.Cut(g, "级-")
	if !ok {
		return g, g
	}
	if t == "合并" {
		lo, hi, span := strings.Cut(l, "-")
		a, errA := strconv.Atoi(lo)
		if !span {
			hi = lo
		}
		b, errB := strconv.Atoi(hi)
		la, okA := LevelLabels[a]
		lb, okB := LevelLabels[b]
		if errA != nil || errB != nil || !okA || !okB {
			return g, g
		}
		if a == b {
			return la[0] + "医院（合并组）", la[1] + " hospitals (merged group)"
		}
		return strings.TrimSuffix(la[0], "级") + "至" + lb[0] + "医院（合并组）", fmt.Sprintf("level %d–%d hospitals (merged group)", a, b)
	}
	n, err := strconv.Atoi(l)
	lv, okL := LevelLabels[n]
	ty, okT := HospitalTypeLabels[t]
	if err != nil || !okL || !okT {
		return g, g
	}
	return lv[0] + ty[0] + "医院", lv[1] + " " + ty[1] + " hospitals"
}

// ChargeCategoryLabels names fee-line charge categories (med_chrgitm_type, 医疗收费项目类别;
// ../shared/formats/settlement.md).
var ChargeCategoryLabels = map[string][2]string{
	"01": {"床位费", "bed"}, "02": {"诊察费", "consultation"}, "03": {"检查费", "examination"}, "04": {"化验费", "laboratory"},
	"05": {"治疗费", "treatment"}, "06": {"手术费", "surgery"}, "07": {"护理费", "nursing"}, "08": {"卫生材料费", "medical consumables"},
	"09": {"西药费", "western drugs"}, "10": {"中药饮片费", "herbal pieces"}, "11": {"中成药费", "Chinese patent drugs"},
	"12": {"一般诊疗费", "general diagnosis and treatment"}, "13": {"挂号费", "registration"}, "14": {"其他费", "other"},
}
