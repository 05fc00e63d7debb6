package grouper

import (
	"strconv"
	"strings"
)

// String is the comparison as the scheme writes it.
func (c cmpop) String() string {
	return [...]string{"==", "!=", "<", "<=", ">", ">="}[c]
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// describe renders a condition in words, Chinese and English. Explanations use it for the
// conditions a case did not meet (an ADRG whose splits all failed, a QY check), and the
// scheme diff compares groups by it, so it names every list, value and bound.
func (s *Scheme) describe(n *cond) (zh, en string) {
	if n == nil {
		return "无", "none"
	}
	cmp := func(what, whatEN string) (string, string) {
		return what + " " + n.cmp.String() + " " + fmtNum(n.num), whatEN + " " + n.cmp.String() + " " + fmtNum(n.num)
	}
	switch n.op {
	case opTrue:
		return "总是成立", "always"
	case opFalse:
		return "从不成立", "never"
	case opAll, opAny:
		sepZH, sepEN := " 且 ", " and "
		if n.op == opAny {
			sepZH, sepEN = " 或 ", " or "
		}
		zs, es := make([]string, len(n.args)), make([]string, len(n.args))
		for i, a := range n.args {
			zs[i], es[i] = s.describe(a)
			if len(a.args) > 1 {
				zs[i], es[i] = "（"+zs[i]+"）", "("+es[i]+")"
			}
		}
		if len(n.args) == 0 {
			if n.op == opAll {
				return "总是成立", "always"
			}
			return "从不成立", "never"
		}
		return strings.Join(zs, sepZH), strings.Join(es, sepEN)
	case opNot:
		z, e := s.describe(n.args[0])
		return "并非（" + z + "）", "not (" + e + ")"
	case opPrincipalDxIn:
		return "主要诊断属于 " + n.name, "principal diagnosis in " + n.name
	case opAnyDxIn:
		return "任一诊断属于 " + n.name, "some diagnosis in " + n.name
	case opSecondaryDxIn:
		return "某个次要诊断属于 " + n.name, "some secondary diagnosis in " + n.name
	case opPrincipalProcIn:
		return "主要手术操作属于 " + n.name, "principal procedure in " + n.name
	case opAnyProcIn:
		return "任一手术操作属于 " + n.name, "some procedure in " + n.name
	case opSecondaryProcIn:
		return "某个次要手术操作属于 " + n.name, "some secondary procedure in " + n.name
	case opPrincipalProcValid:
		return "主要手术操作是有效手术", "principal procedure is a valid surgery"
	case opAnyProcValid:
		return "有有效手术", "some procedure is a valid surgery"
	case opProcTag:
		return "手术操作带标记 " + n.name + ":" + n.str, "a procedure carries tag " + n.name + ":" + n.str
	case opAgeYears:
		return cmp("年龄（岁）", "age in years")
	case opAgeDays:
		return cmp("年龄（天）", "age in days")
	case opBirthWeight:
		return cmp("出生体重（克）", "birth weight (g)")
	case opSex:
		return "性别 = " + n.str, "sex = " + n.str
	case opHasMCC:
		return "有严重并发症或合并症（MCC）", "has an MCC"
	case opHasCC:
		return "有并发症或合并症（CC）", "has a CC"
	case opMultiTrauma:
		m := strconv.Itoa(n.min)
		return "创伤涉及至少 " + m + " 个部位（" + n.name + "）", "trauma in at least " + m + " body regions (" + n.name + ")"
	case opLOS:
		return cmp("住院天数", "length of stay")
	case opICUHours:
		return cmp("重症监护小时数", "ICU hours")
	case opProcCount:
		return cmp("手术操作项数", "number of procedures")
	case opDischargeIn:
		v := strings.Join(n.values, "、")
		return "离院方式属于 " + v, "discharge disposition one of " + strings.Join(n.values, ", ")
	case opDeptIn:
		return "科室属于 " + strings.Join(n.values, "、"), "department one of " + strings.Join(n.values, ", ")
	case opFieldEmpty:
		return n.name + " 为空", n.name + " is empty"
	case opFieldNotIn:
		return n.name + " 不属于 " + strings.Join(n.values, "、"), n.name + " not one of " + strings.Join(n.values, ", ")
	case opFieldNotInteger:
		return n.name + " 不是整数", n.name + " is not an integer"
	case opFieldNotNumber:
		return n.name + " 不是数字", n.name + " is not a number"
	case opPrincipalDxEmpty:
		return "主要诊断为空", "principal diagnosis is empty"
	}
	return "?", "?"
}
