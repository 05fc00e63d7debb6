package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// hospital is a designated institution of the region with its own efficiency: how long it
// keeps patients and how much it spends relative to the regional norm.
type hospital struct {
	code, name, grade, typ, specialty, region string
	level, beds                               int
	losFactor, costFactor                     float64
	doctors                                   int
}

var districts = []struct{ code, name string }{
	{"320102", "玄武区"}, {"320104", "秦淮区"}, {"320105", "建邺区"}, {"320106", "鼓楼区"},
	{"320111", "浦口区"}, {"320113", "栖霞区"}, {"320114", "雨花台区"}, {"320115", "江宁区"},
}

// makeHospitals draws n hospitals: about 20% level 3, 40% level 2, 40% level 1, with one
// maternity and one psychiatric specialty hospital and a TCM hospital once n allows.
func makeHospitals(rng *rand.Rand, n int) []hospital {
	hs := make([]hospital, 0, n)
	n3 := max(1, n/5)
	n2 := max(1, (n*2)/5)
	seq := map[string]int{}
	add := func(level int, typ, spec, nameFmt string) {
		d := districts[len(hs)%len(districts)]
		seq[d.code]++
		h := hospital{
			code:  fmt.Sprintf("H%s%05d", d.code, seq[d.code]),
			level: level,
			typ:   typ, specialty: spec, region: d.code,
			losFactor:  0.85 + rng.Float64()*0.35,
			costFactor: 0.9 + rng.Float64()*0.3,
		}
		switch level {
		case 3:
			h.grade, h.beds, h.doctors = "甲", 800+rng.IntN(1700), 40
		case 2:
			h.grade, h.beds, h.doctors = []string{"甲", "乙"}[rng.IntN(2)], 200+rng.IntN(400), 20
		default:
			h.grade, h.beds, h.doctors = "", 20+rng.IntN(60), 8
		}
		h.name = fmt.Sprintf(nameFmt, d.name, seq[d.code])
		hs = append(hs, h)
	}
	for i := 0; len(hs) < n; i++ {
		switch {
		case i == 0:
			add(3, "general", "", "%s第一人民医院（%d）")
		case i == 1 && n >= 6:
			add(3, "specialty", "maternity", "%s妇幼保健院（%d）")
		case i == 2 && n >= 8:
			add(3, "specialty", "psychiatry", "%s精神卫生中心（%d）")
		case i == 3 && n >= 10:
			add(3, "tcm", "", "%s中医院（%d）")
		case i < n3:
			add(3, "general", "", "%s人民医院（%d）")
		case i < n3+n2:
			if i%7 == 0 {
				add(2, "tcm", "", "%s中医医院（%d）")
			} else {
				add(2, "general", "", "%s第二人民医院（%d）")
			}
		default:
			add(1, "general", "", "%s社区卫生服务中心（%d）")
		}
	}
	return hs
}

// accepts reports whether a hospital treats a condition.
func (h *hospital) accepts(c *Condition) bool {
	if h.level < c.MinLevel {
		return false
	}
	switch h.specialty {
	case "maternity":
		return c.MDC == "MDCO" || c.MDC == "MDCN" || c.MDC == "MDCP"
	case "psychiatry":
		return c.MDC == "MDCU"
	}
	if c.MDC == "MDCU" {
		return h.level == 3
	}
	return true
}

// person is an insured resident. The clear identifiers are synthetic, and exist so that
// ingest has something real to pseudonymise.
type person struct {
	psnNo, certNo, name string
	sex                 int
	birth               time.Time
	insutype            string
	region              string
	htn, dm, copd, ckd  bool
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var givenChars = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红建国建华志强海燕文斌子涵浩然欣怡宇轩梓萱诗涵一诺思远")

// ageBands is the population pyramid in five-year bands (share of the population).
var ageBands = []float64{4.5, 5.5, 6, 5.5, 5.5, 6.5, 8, 8, 7.5, 8, 8.5, 7.5, 6.5, 5.5, 4, 2.8, 1.7, 0.8, 0.3, 0.1}

func makePerson(rng *rand.Rand, idx int, start time.Time, months int) person {
	p := person{sex: 1 + rng.IntN(2)}
	p.psnNo = fmt.Sprintf("3201%012d", idx+1)
	band := pick(rng, ageBands)
	age := band*5 + rng.IntN(5)
	birth := start.AddDate(-age, 0, -rng.IntN(365))
	// About 1% a year are born during the simulated period.
	if rng.Float64() < 0.01*float64(months)/12 {
		birth = start.AddDate(0, 0, rng.IntN(months*30))
	}
	p.birth = birth
	p.certNo = fakeCertNo(rng, birth, p.sex)
	p.name = string(surnames[rng.IntN(len(surnames))]) + string(givenChars[rng.IntN(len(givenChars))])
	if rng.IntN(2) == 0 {
		p.name += string(givenChars[rng.IntN(len(givenChars))])
	}
	if age >= 18 && age < 65 && rng.Float64() < 0.55 || age >= 65 && rng.Float64() < 0.4 {
		p.insutype = "310"
	} else {
		p.insutype = "390"
	}
	p.region = districts[rng.IntN(len(districts))].code
	ageAt := float64(age)
	p.htn = rng.Float64() < step(ageAt, []float64{35, 55, 65}, []float64{0.02, 0.15, 0.35, 0.5})
	p.dm = rng.Float64() < step(ageAt, []float64{35, 55, 65}, []float64{0.01, 0.07, 0.15, 0.2})
	p.copd = rng.Float64() < step(ageAt, []float64{40, 65}, []float64{0, 0.06, 0.14})
	p.ckd = rng.Float64() < step(ageAt, []float64{40, 65}, []float64{0.005, 0.04, 0.09})
	return p
}

// fakeCertNo builds an 18-character resident ID of the right shape (region, birth date,
// sequence with the sex parity, ISO 7064 check digit) for a person who does not exist.
func fakeCertNo(rng *rand.Rand, birth time.Time, sex int) string {
	seq := rng.IntN(500)*2 + 1
	if sex == 2 {
		seq++
	}
	body := fmt.Sprintf("320102%s%03d", birth.Format("20060102"), seq%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

func step(x float64, cuts, vals []float64) float64 {
	for i, c := range cuts {
		if x < c {
			return vals[i]
		}
	}
	return vals[len(vals)-1]
}

// pick draws an index with probability proportional to its weight.
func pick(rng *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	r := rng.Float64() * total
	for i, x := range w {
		r -= x
		if r < 0 {
			return i
		}
	}
	return len(w) - 1
}

// ageYears is the completed years at t.
func ageYears(birth, t time.Time) int {
	y := t.Year() - birth.Year()
	if t.Month() < birth.Month() || t.Month() == birth.Month() && t.Day() < birth.Day() {
		y--
	}
	return y
}

// triangular density on [lo, hi] peaking at mode, evaluated at x (unnormalised).
func triangular(x, lo, hi, mode float64) float64 {
	switch {
	case x < lo || x > hi:
		return 0
	case hi == lo:
		return 1
	case x <= mode:
		if mode == lo {
			return 1
		}
		return 0.15 + 0.85*(x-lo)/(mode-lo)
	default:
		if hi == mode {
			return 1
		}
		return 0.15 + 0.85*(hi-x)/(hi-mode)
	}
}

// lognormal draws a positive value with the given mean and log-scale spread.
func lognormal(rng *rand.Rand, mean, sigma float64) float64 {
	mu := math.Log(mean) - sigma*sigma/2
	return math.Exp(mu + sigma*rng.NormFloat64())
}
