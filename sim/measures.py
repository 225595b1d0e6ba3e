"""The plan's 24 measures as data: article, key phrase, sizes with sources, rows on levers, expectations.

Each ``Measure`` carries the plan's key phrase (``quote``), its parameters'
sizes with source (or "assumed") and range, the rows by which it acts on the
levers (``sim.policy_rows``), and its expected direction on the 2025 resident
rate, hukou rate and gap with the reasoning (``mechanism``), written before
running the model. The order here is the order in which measures act each
year. Measures with logic of their own name their class
(``sim.measure_classes``).
"""

from __future__ import annotations

from sim.measure_classes import OVER_5M, Decongestion, PointsReform, SettlerLandQuota
from sim.policy_rows import Measure, PolicyParam, Row, all_but

P = PolicyParam
UNDER_3M = ("large_2", "medium", "small", "county")
OPEN_OR_CONDITIONS = ("large_1",) + UNDER_3M
LARGE_INFLOW = ("super_large", "mega", "large_1")
BARRIER_SOURCE = ("assumed; the 2020 barrier (status_quo: 0.3, range 0.1-0.5) is guided by the plan's own "
                  "'尚未全面落实', Zhang & Hoekstra 2020 (cities under 3 M still above the lowest stringency), "
                  "Wang et al. 2023 (63 % of 231 cities kept less lenient selection after 2014) and CMDS 2016 "
                  "(most migrants rent, so a housing proof bites)")

MEASURES = (
    Measure(
        name="settlement_open_small", article="六",
        quote="全面取消城区常住人口300万以下的城市落户限制，确保外地与本地农业转移人口进城落户标准一视同仁",
        summary=("remove settlement restrictions in cities under 3 million in practice, not only on paper, and "
                 "treat non-local rural migrants like local ones"),
        params={"min_residence_years": P(0.0, 0.0, 10.0, "years of residence still asked",
                                         "plan text: all limits removed"),
                "barrier_removed": P(0.5, 0.2, 0.8, "share of the 2020 practical barrier removed by 2025",
                                     BARRIER_SOURCE),
                "nonlocal_removed": P(1.0, 0.5, 1.0, "share of the extra barrier for non-local applicants removed",
                                      "plan text '一视同仁' (same standard); 2020 extra barrier 0.1 (0-0.3) assumed")},
        # written rules: already open in the status quo (no-ops there), they still act in scenarios with limits
        rows=(Row("rules.min_residence_years", "toward", "min_residence_years", classes=UNDER_3M),
              Row("rules.min_insurance_years", "toward", 0.0, classes=UNDER_3M),
              Row("rules.threshold", "toward", 0.0, classes=UNDER_3M),
              Row("rules.annual_quota_share", "toward", 1.0, classes=UNDER_3M),
              Row("rules.kind", "set", "open", classes=UNDER_3M, at=1.0),
              Row("practical_barrier", "scale", "-barrier_removed", classes=UNDER_3M),
              Row("practical_barrier_nonlocal", "scale", "-nonlocal_removed", classes=UNDER_3M)),
        expected=("negligible", "up", "down"),
        mechanism=('Eligible migrants in open cities who were held back by housing, employment or local-origin '
                   'proofs can now convert: hukou up, gap down; converters no longer return, which adds to the '
                   'resident rate only a few thousandths of a point (the return rate times the extra converters), '
                   'and where people choose to live does not change.')),
    Measure(
        name="settlement_relax_large", article="六",
        quote="全面放宽城区常住人口300万至500万的 I型大城市落户条件",
        summary="fully relax settlement conditions in type-I large cities (3-5 million)",
        params={"min_residence_years": P(1.0, 0.0, 2.0, "residence years asked once fully relaxed",
                                         "assumed: the status quo asks 2; 'fully relax' read as at most 1"),
                "min_insurance_years": P(0.5, 0.0, 2.0, "insurance years asked once fully relaxed",
                                         "assumed: the status quo asks 2")},
        rows=(Row("rules.min_residence_years", "toward", "min_residence_years", classes=("large_1",)),
              Row("rules.min_insurance_years", "toward", "min_insurance_years", classes=("large_1",))),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('More migrants in 3-5 million cities meet the conditions sooner (sign: hukou up, gap down), but '
                   'only insured migrants in their second year gain (a quarter are insured, and half a year of '
                   'insurance still excludes the uninsured), and a 0.4 practical barrier still holds back the '
                   'newly eligible: a few thousand agents-worth, below 0.05 point; destinations hardly move. '
                   '(First reasoned "up" without a size; corrected after the paired runs showed +0.003 point.)')),
    Measure(
        name="points_reform", article="六",
        quote=("完善城区常住人口500万以上的超大特大城市积分落户政策，精简积分项目，确保社会保险缴纳年限和居住年限分数占主要比例，"
               "鼓励取消年度落户名额限制 …… 放开放宽除个别超大城市外的落户限制"),
        summary=("in cities over 5 million simplify points, insurance and residence years carry most points, "
                 "quotas cancelled in some mega cities and raised in super-large ones except a few; no cut of the "
                 "points threshold (the text has none)"),
        params={"cancel_share": P(0.3, 0.1, 0.6, "share of mega cities that cancel the annual quota by 2025",
                                  "assumed ('鼓励', encouraged)"),
                "quota_multiplier_super_large": P(1.5, 1.0, 3.0,
                                                  "annual quota multiplied, >10 M cities not exempt"),
                "residence_points_gain": P(0.25, 0.0, 0.5, "relative rise of points per residence year",
                                           "assumed ('分数占主要比例')"),
                "college_points_cut": P(0.2, 0.0, 0.5, "relative cut of the points for a degree",
                                        "assumed ('精简积分项目': other items lose weight)")},
        rows=(Row("rules.annual_quota_share", "scale", "quota_multiplier_super_large - 1",
                  classes=("super_large",), skip_exempt=True),
              Row("rules.points_per_residence_year", "scale", "residence_points_gain", classes=OVER_5M,
                  skip_exempt=True),
              Row("rules.points_college", "scale", "-college_points_cut", classes=OVER_5M, skip_exempt=True)),
        policy=PointsReform,
        expected=("negligible", "negligible", "negligible"),
        mechanism=('Larger or cancelled quotas admit more only where quotas bind, and in the model they do not: '
                   'with a quarter of migrants insured, the minimum insurance years and the threshold leave about '
                   'a tenth of rural-hukou adults in cities over 5 million eligible, and their applications stay '
                   'below the quotas; more points per residence year add a few eligible: sign hukou up, below 0.05 '
                   'point. (First reasoned "up" assuming binding quotas; corrected after the paired runs: +0.007 '
                   'point, and a check of eligible applicants against quotas.)')),
    Measure(
        name="residence_registration", article="六",
        quote="试行以经常居住地登记户口制度",
        summary=("trial of registering hukou where one habitually lives; those registered need no housing proof "
                 "(no practical barrier)"),
        params={"coverage": P(0.05, 0.0, 0.15,
                              "share of long-term residents reached by the trials by 2025 (a trial, '试行')"),
                "years": P(5.0, 3.0, 7.0, "years of residence that make a residence habitual",
                           "assumed ('经常居住地')")},
        rows=(Row("registration_share", "max", "coverage", skip_exempt=True),
              Row("registration_years", "set", "years")),
        expected=("negligible", "up", "down"),
        mechanism=('Long-term residents reached by the trials become eligible where they live, past housing proofs '
                   'and points (sign: hukou up, gap down; nothing changes where people live). The trials reach '
                   'about 5 % of those with five years by 2025, and in points cities the quota still binds; but '
                   'most of those they reach have no insurance record, and the proofs hold such applicants back '
                   'about twice as often (proof_barrier_no_record_factor, calibrated 2.1: 0.6-0.8 of them '
                   'blocked): of the order of 0.05 point, so only the sign is asserted. (First reasoned '
                   '"negligible", below 0.05 point, with one barrier for every applicant; revised when the '
                   'barrier on applicants without a record entered the model, from that mechanism, and then '
                   'measured: +0.06 point hukou.)')),
    Measure(
        name="land_rights_kept", article="六",
        quote="依法保障进城落户农民的农村土地承包权、宅基地使用权、集体收益分配权",
        summary=("protect settlers' land contract, homestead and collective income rights by existing law: "
                 "reassurance at the margin (the 2020 baseline already has the legal protection)"),
        params={"penalty_removed": P(0.05, 0.0, 0.15, "share of the surveyed land deterrent removed by 2025",
                                     "assumed; the baseline (1) is the deterrent surveyed in CMDS 2016-2017 under "
                                     "the 2014 no-surrender rule (国发〔2014〕25号) and the 2019 Rural Land "
                                     "Contracting Law, so only enforcement and reassurance remain to add")},
        rows=(Row("land_penalty_factor", "scale", "-penalty_removed"),),
        expected=("negligible", "up", "down"),
        mechanism=('A slightly smaller perceived land cost of converting raises the conversion chance of the four '
                   'in five migrants who hold land (about +5 % of their applications): hukou up, gap down, by a few '
                   'hundredths of a point; land deters converting, not staying, so residence is unchanged.')),
    Measure(
        name="services_by_residence", article="七",
        quote="建立基本公共服务同常住人口挂钩、由常住地供给的机制 …… 城镇基本公共服务覆盖全部未落户常住人口",
        summary=("basic public services provided where people live; raise residence-permit "
                 "holders' access; cover all non-hukou residents"),
        params={"gap_closed": P(0.5, 0.1, 0.5, "share of the service gap to hukou holders closed",
                                "assumed (the plan's '稳步提高' is gradual: 0.3 is the middle of the range)")},
        rows=(Row("service_access", "toward", 1.0, share="gap_closed"),),
        expected=("up", "down", "up"),
        mechanism=('Local hukou adds less to what a migrant already has: fewer conversions, hukou down, gap '
                   'wider. Cities also become more attractive without hukou: closing half the service gap '
                   '(0.075-0.3 of access, about 0.15 on average) raises a destination\'s utility by '
                   'services_coef x 0.15 = 0.15 and the leave logit by nest_coef x 0.15 = 0.08, about 8 % more '
                   'of the 4-5 million yearly departures of the calibrated model; over the ramp from July 2022 '
                   'about 0.9 million more town residents by 2025: resident up, about 0.06 point.')),
    Measure(
        name="skills_training", article="八",
        quote="持续大规模开展面向新生代农民工等的职业技能培训",
        summary="large-scale vocational training of migrant workers",
        params={"wage_gain": P(0.04, 0.003, 0.04, "average wage gain of migrant workers from training",
                               "assumed (coverage 0.1-0.3 × premium 0.03-0.10 suggests 0.01; kept at 0.04)")},
        rows=(Row("wage_factor", "scale", "wage_gain"),),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('Higher migrant wages raise the value of leaving, so resident up, but by less than '
                   '0.05 point by 2025: a 4 % wage gain moves the leave logit by nest_coef x wage_coef x '
                   'ln 1.04 = 0.04, i.e. about 4 % more of the 4-5 million yearly departures of the '
                   'calibrated model, some 0.4 million persons by 2025 (0.03 point). Conversions barely '
                   'change.')),
    Measure(
        name="migrant_children_schooling", article="九",
        quote=("以公办学校为主将随迁子女纳入流入地义务教育保障范围 …… "
               "逐步将农业转移人口纳入流入地中等职业教育、普通高中教育、普惠性学前教育保障范围"),
        summary="migrant children in host-city public schools; include them in high school and preschool",
        params={"gap_closed": P(0.6, 0.1, 0.6, "share of the school-access gap closed",
                                "assumed; 2017 baseline 79.7 % of migrant children in public schools (China Rural "
                                "Education Development Report 2019)")},
        rows=(Row("school_access", "toward", 1.0, share="gap_closed"),),
        expected=("up", "negligible", "up"),
        mechanism=('Children come along and stay (resident up, gap up); in the model school places act on '
                   'children following, not on the gain from hukou, and the few more parents with school children '
                   'in town apply a little more often: hukou by less than 0.05 point.')),
    Measure(
        name="social_insurance_portability", article="十",
        quote=("逐步放开放宽居民在常住地或就业地参加社会保险的户籍限制 …… "
               "全面落实企业为农民工缴纳职工养老、医疗、工伤、失业、生育等社会保险费用的责任"),
        summary=("insurance open at the place of residence or work; employers pay migrants' insurance (more "
                 "insured); years earned elsewhere are recognised only within metro areas (article 十四)"),
        params={"insured_gain": P(0.05, 0.0, 0.1, "rise in the share of migrants insured",
                                  "assumed; baseline insured share 0.25 (employer pension about 14 % in 2012)")},
        rows=(Row("insured_share_extra", "add", "insured_gain"),),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('More insured migrants accumulate the insurance years that conditions and points ask for (sign: '
                   'hukou up), but a migrant newly insured from 2022 has at most three years by 2025, and only the '
                   '3-5 million and points cities ask for insurance: below 0.05 point; residence unaffected.')),
    Measure(
        name="minimum_living_allowance", article="十",
        quote="支持有条件的地区有序推进居住证持有人在常住地申办最低生活保障",
        summary=("residence-permit holders may apply for the minimum living allowance where they live, in places "
                 "with the means (pilots): one more basic service by residence"),
        params={"gap_closed": P(0.02, 0.0, 0.05, "share of the service gap closed",
                                "assumed: dibao is one of many basic services and only '有条件的地区' act")},
        rows=(Row("service_access", "toward", 1.0, share="gap_closed"),),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('Access to dibao without hukou removes one reason to convert (sign: hukou down) and would make '
                   'staying safer for the poor, but pilots close a fiftieth of the service gap: far below 0.05 '
                   'point; the return decision has no service term in the model.')),
    Measure(
        name="labor_rights", article="十一",
        quote=("完善欠薪治理长效机制，持续推进根治拖欠农民工工资工作 …… "
               "逐步消除性别、户籍、身份等各类影响平等就业的不合理限制或就业歧视"),
        summary="equal employment, no hukou discrimination, wage-arrears enforcement",
        params={"wage_gain": P(0.02, 0.0, 0.02, "effective wage gain (arrears recovered, equal pay)",
                               "assumed (most of the migrant wage gap is endowments: Démurger et al. 2009)"),
                "employment_gain": P(0.01, 0.0, 0.01, "rise of the maximum employment rate")},
        rows=(Row("wage_factor", "scale", "wage_gain"),
              Row("employment_extra", "add", "employment_gain")),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('Higher effective wages and fewer job losses mean more arrivals and fewer returns (sign: resident '
                   'up), but by the arithmetic of skills_training a 2 % wage gain adds about 0.004 point, and the '
                   'migrants kept in town convert in part, so the gap moves by less still. (Earlier "up" for '
                   'resident and, following it, gap; corrected: the size is below 0.05 point.)')),
    Measure(
        name="fiscal_linkage", article="十二",
        quote=("中央财政和省级财政分别对吸纳跨省域、跨市域农业转移人口落户多的地区给予支持 …… "
               "推动中央预算内投资安排向吸纳农业转移人口落户多的城市倾斜"),
        summary=("rewards and investment for cities that settle many migrants: cities admit more (larger quotas "
                 "in points cities, practical proofs enforced less)"),
        params={"quota_gain": P(0.1, 0.0, 0.3, "relative rise of the annual quota in points cities",
                                "assumed; scale: 35 bn yuan (2020) / about 14 M settlers a year = 2,500 yuan per "
                                "settler against about 80,000 yuan of public cost (DRC): a weak incentive, and the "
                                "reward existed since 2016"),
                "barrier_removed": P(0.05, 0.0, 0.15, "share of the practical barrier removed in open and "
                                     "conditions cities")},
        rows=(Row("rules.annual_quota_share", "scale", "quota_gain", classes=OVER_5M, skip_exempt=True),
              Row("practical_barrier", "scale", "-barrier_removed", classes=OPEN_OR_CONDITIONS)),
        expected=("negligible", "up", "down"),
        mechanism=('Cities paid per settler admit a few more applicants (quotas +10 % where they bind) and enforce '
                   'openness a little better (a twentieth of the barrier): sign hukou up, gap down; nothing here '
                   'changes where people live. For applicants with an insurance record a twentieth of the barrier '
                   'is 2-3 % more eligible, but the proofs hold back those without one about twice as often '
                   '(proof_barrier_no_record_factor, calibrated 2.1: 0.6-0.8 of them blocked), and for them it is '
                   '8-25 % more: of the order of 0.5 million more settlers by 2025 with the three-year ramp, about '
                   '0.04 point, so only the sign is asserted. (First reasoned "negligible", about 0.02 point, with '
                   'one barrier for every applicant; revised when the barrier on applicants without a record '
                   'entered the model, from that mechanism, and then measured: +0.05 point hukou.)')),
    Measure(
        name="land_quota_by_settlers", article="十二",
        quote=("各级国土空间规划编制修订充分考虑人口规模因素特别是进城落户人口数量 …… "
               "在人口集中流入地区优先保障义务教育校舍建设和保障性住房建设用地需求"),
        summary="construction land follows settled people (人地挂钩): housing and school land first in inflow cities",
        params={"housing_cut": P(0.1, 0.0, 0.3, "housing-cost cut per unit share of 2020 rural-hukou residents "
                                 "settled since the start", "assumed; the 2016 人地挂钩 rules (100/80/50 m2 per "
                                 "settler) are already in the baseline"),
                "school_gain": P(0.1, 0.0, 0.3, "share of the school-access gap closed per unit of that share")},
        rows=(), policy=SettlerLandQuota,
        expected=("negligible", "negligible", "negligible"),
        mechanism=('Land follows settlements with a lag of planning cycles: a city that settled a tenth of its '
                   'rural-hukou residents gets 1 % cheaper housing and a hundredth of its school gap closed, too '
                   'little to move arrivals or conversions by 0.05 point by 2025.')),
    Measure(
        name="transfers_by_residents", article="十二",
        quote="加大中央财政均衡性转移支付中非户籍常住人口因素权重",
        summary="central equalisation transfers weighted toward non-hukou residents: services where they live",
        params={"gap_closed": P(0.05, 0.0, 0.15, "share of the service gap closed",
                                "assumed: a weight change inside a general transfer")},
        rows=(Row("service_access", "toward", 1.0, share="gap_closed"),),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('Better services without hukou lower the gain from converting (sign: hukou down, gap up), but '
                   'a twentieth of the service gap is a tenth of services_by_residence, whose whole effect is a '
                   'few tenths of a point: below 0.05 point.')),
    Measure(
        name="metro_area_integration", article="十四",
        quote="以1小时通勤圈为基本范围 …… 鼓励都市圈社保和落户积分互认",
        summary=("one-hour metro areas: mutual recognition of insurance (and with it settlement points) on moves "
                 "within a metro area; the model has regions, not metro areas, so a move within a region keeps "
                 "its insurance years with the chance that it is a move within a recognising metro area"),
        params={"recognising_share": P(0.3, 0.1, 0.6, "share of metro areas with mutual recognition by 2025",
                                       "assumed ('鼓励'); the 2019 NDRC metro-area guidance already sought it"),
                "metro_share": P(0.3, 0.1, 0.5, "share of moves within a region that stay in one metro area",
                                 "assumed")},
        rows=(Row("insurance_portable_region", "max", "recognising_share"),
              Row("insurance_portable_region", "scale", "metro_share - 1")),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('Only migrants who move between cities of one metro area keep their insurance years (a tenth '
                   'of within-region moves by 2025), few move in three years, and in the cores the quota, not the '
                   'points, binds: below 0.05 point.')),
    Measure(
        name="megacity_decongestion", article="十六",
        quote="有序疏解中心城区一般性制造业、区域性物流基地、专业市场等功能和设施 …… 完善郊区新城功能",
        summary=("move general industry out of the central districts of cities over 5 million, to their suburban "
                 "new towns (same city) and nearby cities"),
        params={"job_growth_cut": P(0.003, 0.0, 0.01, "yearly job growth removed in cities over 5 million, net "
                                    "of what their suburban new towns keep"),
                "recreated_share": P(0.75, 0.5, 1.0, "share of the removed jobs re-created in the 1-5 million and "
                                     "medium cities of the same region")},
        rows=(), policy=Decongestion,
        expected=("negligible", "negligible", "negligible"),
        mechanism=('Jobs are moved rather than destroyed (three quarters re-created nearby), so the number of '
                   'migrants changes little, and the shift of a few workers from quota-bound cores to open cities '
                   'adds few conversions by 2025.')),
    Measure(
        name="county_town_urbanization", article="十九",
        quote="选择一批条件好的县城重点发展 …… 满足农民到县城就业安家需要",
        summary=("develop a batch of well-placed county seats (120 demonstration counties), not all: jobs, "
                 "services, and homes for villagers in the county town"),
        params={"job_growth_gain": P(0.002, 0.0008, 0.004, "yearly job growth added in the county towns",
                                     "assumed: +1 %/yr in selected county seats × their share 0.2 (0.08-0.4) of "
                                     "the county-town aggregate"),
                "service_gain": P(0.06, 0.02, 0.12, "share of the county towns' service gap closed",
                                  "assumed: 0.3 of the gap × coverage 0.2"),
                "county_share_gain": P(0.05, 0.0, 0.1, "rise in the share of returnees who live in the county town",
                                       "assumed ('满足农民到县城就业安家需要')")},
        rows=(Row("job_growth_extra", "add", "job_growth_gain", classes=("county",)),
              Row("service_access", "toward", 1.0, share="service_gain", classes=("county",)),
              Row("return_to_county_share", "add", "county_share_gain"),
              Row("return_to_county_share", "min", 1.0)),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('More returnees live in the county town instead of the village and a few more jobs open there '
                   '(sign: resident up, gap up), but 5 % of about 1 million returns a year, phased in, is some 0.15 '
                   'million persons by 2025 (0.01 point); county towns are already open, so conversions change '
                   'little.')),
    Measure(
        name="affordable_rental_housing", article="二十五",
        quote=("以人口流入多的大城市为重点，扩大保障性租赁住房供给，着力解决符合条件的新市民、青年人等群体住房困难问题"),
        summary=("government-supported rental housing for eligible new citizens and young people in large inflow "
                 "cities: an average cut of rural migrants' housing cost there"),
        params={"cost_cut": P(0.01, 0.003, 0.04, "average cut in rural migrants' housing cost in cities over 3 M",
                              "MOHURD (11 Jan 2022): 6.5 M units in 40 cities for about 13 M people; rural "
                              "migrants' coverage 0.05-0.15 × rent discount 0.1-0.3 assumed")},
        rows=(Row("housing_factor", "scale", "-cost_cut", classes=LARGE_INFLOW),),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('Few rural migrants qualify and the discount is modest: a 1 % lower housing cost in large cities '
                   'moves arrivals and returns by far less than 0.05 point.')),
    Measure(
        name="rent_own_equal_services", article="二十五",
        quote="逐步使租购住房在享受公共服务上具有同等权利",
        summary="renters gradually get the public services of owners (school places in large cities)",
        params={"gap_closed": P(0.1, 0.0, 0.3, "share of the school-access gap closed in cities over 3 M",
                                "assumed ('逐步'); Guangzhou's 2017 租购同权 gave eligible renters' children nearby "
                                "school places")},
        rows=(Row("school_access", "toward", 1.0, share="gap_closed", classes=LARGE_INFLOW),),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('More renters\' children get school places in large cities (more follow their parents: resident '
                   'up), but a tenth of the gap in the few large cities moves both rates by less than 0.05 point.')),
    Measure(
        name="intercity_transport", article="二十二",
        quote=("建设城市群一体化交通网 …… "
               "到 2025 年新增城际铁路和市域（郊）铁路运营里程 3000 公里，基本实现主要城市间 2 小时通达"),
        summary=("intercity and suburban rail within city clusters (own region, cities of medium size and up); "
                 "the village-to-city leg is unchanged"),
        params={"distance_cut": P(0.02, 0.0, 0.05, "cut in the effective distance to own-region cities of medium "
                                  "size and up", "assumed: rail links cities, not villages")},
        rows=(Row("distance_factor", "scale", "-distance_cut", pairs="same", classes=all_but("small", "county")),),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('Intercity lines shorten trips between cities, not from villages, and open late in the period: '
                   'a 2 % shorter effective distance barely changes departures or conversions by 2025.')),
    Measure(
        name="rural_rights_market_exit", article="六",
        quote="健全农户“三权”市场化退出机制和配套政策",
        summary="a paid, market exit from land contract, homestead and collective rights for those who want it",
        params={"exit_rate": P(0.002, 0.0, 0.01, "yearly chance that a land holder living in town exits its rights",
                               "assumed; exits are rare (rural homestead area grew from 136 to 170 M mu in "
                               "2008-2013 while villages emptied, Wu 2020); direction from Su, Hu & Wu 2023")},
        rows=(Row("land_exit_rate", "max", "exit_rate"),),
        expected=("negligible", "negligible", "negligible"),
        mechanism=('The few who sell their rights lose the land deterrent to converting and the land pull home '
                   '(sign: hukou up, resident up), but at 0.2 % a year too few do so by 2025 to reach 0.05 point.')),
    Measure(
        name="land_requisition_narrowed", article="四十二",
        quote="建立土地征收公共利益认定机制，缩小土地征收范围",
        summary=("narrower land requisition: villages become built-up with collective land entering the market, "
                 "fewer reclassified villagers get urban hukou with a requisition"),
        params={"hukou_share_cut": P(0.1, 0.0, 0.25, "relative cut of the share of reclassified villagers given "
                                     "urban hukou", "assumed; part of the narrowing is law since 2020 (amended Land "
                                     "Management Law), after most of the 2015-2020 calibration window")},
        rows=(Row("reclassified_hukou_factor", "scale", "-hukou_share_cut"),),
        expected=("negligible", "down", "up"),
        mechanism=('Some 14 million villagers a year are reclassified, 30 % of them with urban hukou; a tenth fewer '
                   'conversions among them is about 0.4 million a year, 1 million by 2025 when phased in: hukou down '
                   'by about 0.07 point, gap up; the villages still become urban, so residence is unchanged.')),
    Measure(
        name="county_upgrade_control", article="四十",
        quote="严格控制撤县建市设区",
        summary="strict control of turning counties into cities or districts: fewer villages reclassified with them",
        params={"pace_cut": P(0.02, 0.0, 0.05, "relative cut of the yearly pace of village reclassification",
                              "assumed; scale: about 13 counties a year became districts 2009-2020 (Ministry of "
                              "Civil Affairs data as reported), under 1 % of counties"),
                "hukou_share_cut": P(0.02, 0.0, 0.05, "relative cut of the share given urban hukou")},
        rows=(Row("reclassification_factor", "scale", "-pace_cut"),
              Row("reclassified_hukou_factor", "scale", "-hukou_share_cut")),
        expected=("down", "down", "negligible"),
        mechanism=('Each reclassified villager adds one person to the resident rate and 0.3 to the hukou rate: 2 % '
                   'fewer of some 14 million a year, phased in (2.5 full-strength years by 2025), is about 0.7 '
                   'million persons, resident down by about 0.05 point; hukou down by about 0.03 point (a third of '
                   'those plus 2 % fewer conversions among the reclassified); the gap moves by the difference, '
                   'about 0.02 point.')),
    Measure(
        name="construction_land_cap", article="五",
        quote="城镇开发边界全面划定，新增建设用地规模控制在2950万亩以内 …… 严格控制新增建设用地规模",
        summary=("cap on new construction land (29.5 M mu in 2021-2025) and urban development boundaries: "
                 "built-up areas reach fewer villages"),
        params={"pace_cut": P(0.05, 0.0, 0.15, "relative cut of the yearly pace of village reclassification",
                              "assumed: binds only below the 2016-2020 pace of new construction land (supply about "
                              "0.59 M ha a year in 2016-2018, Li et al. 2019, against a cap of 0.39 M ha a year)"),
                "housing_rise": P(0.0, 0.0, 0.03, "rise of housing costs in cities over 3 M from tighter land")},
        rows=(Row("reclassification_factor", "scale", "-pace_cut"),
              Row("housing_factor", "scale", "housing_rise", classes=LARGE_INFLOW)),
        expected=("down", "down", "down"),
        mechanism=('5 % fewer of some 14 million reclassified villagers a year, phased in, is about 1.7 million '
                   'persons by 2025: resident down by about 0.12 point, hukou down by the converted 30 % of that '
                   '(about 0.04 point), so the gap narrows.')),
)

# name -> measure, in the order the policies act each year
