"""Behavioural and structural parameters, each with its value's origin.

Every parameter is declared once, in ``PARAMETERS``, with a default, an allowed
range, its kind and its source:

- ``study``: taken from a published estimate (named in ``source``);
- ``calibrated``: set so that the model reproduces official series up to 2020
  (the target is named in ``source``);
- ``assumed``: no study pins it down; ``source`` says why the value is reasonable.

A scenario's ``[parameters]`` table may override any of them; unknown names and
out-of-range values are refused (see ``sim.scenario``). ``docs/ODD.md`` lists
the same table; ``tests/test_parameters.py`` checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter: default, allowed range, kind and source."""

    default: float
    low: float
    high: float
    kind: str  # "study", "calibrated" or "assumed"
    source: str
    unit: str = ""


_P = ParameterSpec

# Parameters of kind "calibrated" are fitted by `python run_sim.py calibrate`
# (sim/calibration.py) to official series 2015-2020; the fitted values live in
# sim/data/calibration.toml and replace the defaults below (which are the
# starting points) in every run.
FIT_NOTE = ("fitted by `run_sim.py calibrate` to official series 2015-2020 "
            "(sim/data/calibration.toml; docs/ODD.md, section 8)")

_SPECS: dict[str, ParameterSpec] = {
    # --- destination choice (multinomial logit over cities) -------------------
    "wage_coef": _P(1.82, 0.0, 5.0, "study",
                    "destination wage elasticity of inter-provincial flows 1.82 "
                    "(Gu et al. 2022, Acta Geographica Sinica 77(12)); applied to "
                    "ln expected net income", "per ln yuan"),
    "income_distance_elasticity": _P(1.5, 0.0, 5.0, "study",
                                     "a migrant needs 15 % more income to move 10 % "
                                     "farther (Zhang & Zhao 2013, IZA DP 7160); the "
                                     "distance coefficient is wage_coef times this",
                                     "ratio"),
    "network_coef": _P(3.2, 0.0, 10.0, "study",
                       "share of earlier migrants from the same origin +2.7 to +3.7 "
                       "(Liu, Zhuo & Wang 2020, Acta Geographica Sinica 75(12)); midpoint",
                       "per share"),
    "same_region_coef": _P(0.36, 0.0, 3.0, "study",
                           "same province as hukou +0.34 to +0.38 (Liu, Zhuo & Wang "
                           "2020); applied to same region", "utility"),
    "services_coef": _P(1.0, 0.0, 5.0, "assumed",
                        "value of full public-service access relative to none, about "
                        "the utility of a 70 % higher wage at wage_coef 1.82; no study "
                        "gives it in these units; a calibration candidate", "per unit access"),
    "schooling_coef": _P(1.0, 0.0, 5.0, "assumed",
                         "extra value of school access for families with children 6-15; "
                         "schooling is the main reason migrants give for bringing or "
                         "leaving children (NBS migrant reports)", "per unit access"),
    "settle_prospect_coef": _P(0.5, 0.0, 5.0, "assumed",
                               "migrants prefer large cities for hukou (CLDS 2014); "
                               "prospects of settling enter the choice with a modest "
                               "weight", "per unit probability"),
    "city_size_amenity_coef": _P(0.15, -1.0, 1.0, "assumed",
                                 "migrants accept lower income to live in larger cities "
                                 "(Xing & Zhang); per ln urban-district population",
                                 "per ln persons"),
    # --- leave or stay (nested over the destination logit) -------------------
    "nest_coef": _P(0.56, 0.05, 1.0, "study",
                    "nesting coefficient 0.51-0.62 (Liu, Zhuo & Wang 2020); weight "
                    "of the destination logsum in the leave decision", ""),
    "leave_intercept": _P(-6.15, -15.0, 5.0, "calibrated", FIT_NOTE, "logit"),
    "leave_age_slope": _P(-0.07, -1.0, 0.0, "calibrated",
                          "departure hazard falls with each year of age over 25; "
                          "first-time migrants are young (Ding et al. 2024; NBS age "
                          "profile of migrant workers). " + FIT_NOTE, "logit per year"),
    "leave_max_age": _P(59, 30, 70, "assumed",
                        "rural residents over this age do not start migrating", "years"),
    "rural_income_per_worker_factor": _P(1.6, 0.5, 4.0, "assumed",
                                         "rural per-capita disposable income times the "
                                         "persons a rural worker supports (1.6) gives "
                                         "the income a worker forgoes by leaving", "ratio"),
    # --- settle (hukou conversion) --------------------------------------------
    "settle_intercept": _P(-2.93, -10.0, 5.0, "calibrated", FIT_NOTE, "logit"),
    "proof_barrier_no_record_factor": _P(2.0, 1.0, 3.3, "calibrated",
                                         "how many times as often a city's practical proofs hold "
                                         "back an applicant with no insurance record in the city: "
                                         "without a record there is no proof of a stable job "
                                         "(labour contract), the proof most migrants in informal "
                                         "work lack; 1 treats all applicants alike. Identified by "
                                         "the hukou path when cities open to applicants without "
                                         "insurance years (0.5-1 M cities in 2016, 1-3 M in 2019). "
                                         + FIT_NOTE, "ratio"),
    "settle_land_coef": _P(-1.0, -5.0, 0.0, "study",
                           "holding contracted land or a homestead lowers willingness "
                           "to convert, not to stay (CMDS 2017, Zhang & Li 2021); about "
                           "80 % reluctant to give up rural hukou (CASS 2010); value "
                           "halves the odds, assumed within that evidence", "logit"),
    "settle_service_gain_coef": _P(1.5, 0.0, 5.0, "assumed",
                                   "the gain in services from local hukou makes "
                                   "conversion worth more where non-hukou access is "
                                   "poor (stricter cities, higher willingness: Zhang & "
                                   "Hoekstra 2020)", "per unit access"),
    "settle_children_coef": _P(0.7, 0.0, 5.0, "assumed",
                               "families with school-age children gain most from local "
                               "hukou (schooling beyond compulsory level)", "logit"),
    "settle_years_coef": _P(0.8, 0.0, 5.0, "assumed",
                            "willingness rises with years in the city (CMDS: long-term "
                            "stayers are the ones who would transfer), per 10 years",
                            "logit per 10 years"),
    "settle_old_coef": _P(-1.0, -5.0, 0.0, "assumed",
                          "the land effect is stronger for older migrants (Zhang & Li "
                          "2021); added to the land deterrent of land holders aged 50 "
                          "and over", "logit"),
    # --- return ---------------------------------------------------------------
    "return_intercept": _P(-5.30, -10.0, 2.0, "calibrated", FIT_NOTE, "logit"),
    "return_age_coef": _P(0.45, 0.0, 3.0, "assumed",
                          "return hazard rises with age (NBS: share over 50 rising); "
                          "per 10 years over 40", "logit per 10 years"),
    "return_old_coef": _P(1.5, 0.0, 5.0, "assumed",
                          "rural-hukou urban residents over 60 without pension rights "
                          "mostly go home", "logit"),
    "return_unemployed_coef": _P(1.5, 0.0, 5.0, "assumed",
                                 "losing the job is the main trigger of return (2020: "
                                 "outside-township migrants fell 2.7 % with the shock)",
                                 "logit"),
    "return_left_behind_coef": _P(0.5, 0.0, 5.0, "assumed",
                                  "children left at origin pull parents home", "logit"),
    "return_land_coef": _P(0.0, 0.0, 1.0, "study",
                           "holding land lowers willingness to convert but not to stay "
                           "(CMDS 2017, Zhang & Li 2021); Yan & Li 2021 find farmland "
                           "income lowers staying, hence the range up to 1 for "
                           "sensitivity analysis", "logit"),
    "relocate_if_unemployed": _P(0.3, 0.0, 1.0, "assumed",
                                 "share of unemployed migrants who search in another "
                                 "city in a year", "probability"),
    # --- families -------------------------------------------------------------
    "children_follow_max": _P(0.9, 0.0, 1.0, "assumed",
                              "probability that a migrating parent brings the children "
                              "where schools are fully open; with 2020 access levels "
                              "gives about half of migrant children in cities (MoE "
                              "2020: 14.3 M accompanying, 12.9 M left behind in "
                              "compulsory education); not fitted", "probability"),
    "family_reunion_rate": _P(0.05, 0.0, 1.0, "assumed",
                              "yearly chance that left-behind children join a parent "
                              "in the city, times school access", "probability"),
    # --- labour market --------------------------------------------------------
    "job_gdp_elasticity": _P(0.25, 0.0, 2.0, "calibrated",
                             "migrant jobs grew about 1 % a year while GDP grew 6-7 % "
                             "(2015-2019, NBS migrant reports and GDP): an elasticity "
                             "near 0.15-0.25 to start from. " + FIT_NOTE, "ratio"),
    "wage_tightness_elasticity": _P(0.3, 0.0, 2.0, "assumed",
                                    "wages rise 0.3 % per 1 % excess of jobs over "
                                    "workers; within the range of estimates of wage "
                                    "responses to migrant inflows", "ratio"),
    "max_employment_rate": _P(0.95, 0.5, 1.0, "study",
                              "surveyed urban unemployment of migrant workers about 5 % "
                              "(NBS 2020)", "share"),
    "wage_dispersion": _P(0.3, 0.0, 2.0, "assumed",
                          "sd of the persistent log-wage effect of a worker", "ln yuan"),
    "city_size_wage_elasticity": _P(0.06, 0.0, 0.3, "study",
                                    "elasticity of wages with city size, 0.04-0.08 in "
                                    "Chinese agglomeration studies (Combes et al. 2015); "
                                    "midpoint", "ratio"),
    "housing_cost_share_mega": _P(0.30, 0.0, 0.9, "assumed",
                                  "share of a migrant's income spent on housing in a "
                                  "city of 10 million (NBS: per-capita living space "
                                  "16.9 m2 in cities over 5 M)", "share"),
    "housing_cost_size_elasticity": _P(0.35, 0.0, 2.0, "assumed",
                                       "rent rises with city size; 0.35 gives about a "
                                       "sixth of the mega-city share in a town of "
                                       "100,000", "ratio"),
    "offfarm_entry_rate": _P(0.01, 0.0, 0.1, "calibrated",
                             "yearly share of farming rural residents of working age who take "
                             "up non-farm work near home (local migrant workers grew from 108.6 "
                             "to 116.5 million in 2015-2019, NBS); fitted by the calibration",
                             "share"),
    "wage_gdp_elasticity": _P(0.9, 0.0, 3.0, "calibrated",
                              "growth of the reported (nominal) migrant wage per point of real "
                              "GDP growth (decisions use real 2020 yuan and ignore it). "
                              + FIT_NOTE, "ratio"),
    "gdp_growth_after_data": _P(4.5, -10.0, 15.0, "assumed",
                                "real GDP growth for years after the last published "
                                "figure (2024); near current medium-term projections",
                                "percent"),
    "pandemic_leave_factor_2020": _P(0.6, 0.2, 1.0, "calibrated",
                                     "factor on the yearly probability of leaving in 2020, the first "
                                     "pandemic year; later years carry assumed shares of it "
                                     "(sim/data/shocks.csv). Fitted to the 2020 migrant-worker stocks "
                                     "where the fit window includes 2020; otherwise its prior value, "
                                     "a back-of-envelope from the 2020 falls in those stocks. "
                                     + FIT_NOTE, "ratio"),
    "pandemic_return_factor_2020": _P(1.5, 1.0, 4.0, "calibrated",
                                      "factor on the yearly probability of returning home in 2020 "
                                      "(about 19 M returned and stayed, MARA); later years carry assumed "
                                      "shares of it (sim/data/shocks.csv). Fitted with the departure "
                                      "factor where the fit window includes 2020. " + FIT_NOTE, "ratio"),
    "pandemic_settle_factor_2020": _P(0.83, 0.4, 1.0, "calibrated",
                                      "factor on the yearly probability that an eligible migrant applies "
                                      "to convert hukou in 2020: settling needs visits to the household "
                                      "registration office, and in the first wave (February-March 2020) "
                                      "offices took only urgent business or appointments and migrants were "
                                      "held at home. Prior: two of twelve months lost (assumed, 0.83); later "
                                      "years carry assumed shares of it (sim/data/shocks.csv). Fitted to the "
                                      "2020 hukou rate where the fit window includes 2020. " + FIT_NOTE, "ratio"),
    # --- in-situ urbanization and other conversions ---------------------------
    "reclassification_pace": _P(14.0, 0.0, 60.0, "calibrated",
                                "villagers whose place becomes urban (in-situ urbanization) in a "
                                "year of average new city built-up area over the fit window "
                                "2016-2020, in millions of persons: new built-up area reaches "
                                "so many villagers, however many live in villages elsewhere; the "
                                "year's number is this times the year's new built-up area "
                                "relative to that average (sim/data/urban_land_drivers.csv), "
                                "raised to reclassification_driver_elasticity; the default is "
                                "the 2016-2020 pace of the earlier share-based fit (about 14 M a "
                                "year). " + FIT_NOTE, "million persons"),
    "reclassification_driver_elasticity": _P(1.0, 0.0, 1.5, "calibrated",
                                             "elasticity of the yearly pace of reclassification to the year's "
                                             "new city built-up area relative to its 2016-2020 mean: 1 "
                                             "proportional, 0 a constant pace; the data decide. "
                                             + FIT_NOTE, ""),
    "built_up_growth_after_data": _P(2.0, 0.0, 6.0, "assumed",
                                     "yearly growth of city built-up area after the last "
                                     "published year (2022): the 2022 growth, 2.01 % "
                                     "(MOHURD); it slowed from 5.4 % a year in 2008-2014 to "
                                     "2.8 % in 2016-2020", "percent"),
    "start_in_situ_share": _P(0.22, 0.0, 0.6, "calibrated",
                              "share of the start year's rural-hukou town residents whose "
                              "village became urban around them (not migrants); the default "
                              "is the pre-calibration value from pre-2021 data "
                              "(reclassification at least a third of urban growth 2010-2015, "
                              "Gan et al. 2025; about half of them kept rural hukou: some "
                              "55-65 M of the 261 M gap of 2020); searched up to 0.22, above "
                              "which the 2015 state cannot hold NBS's migrant workers living "
                              "in towns. " + FIT_NOTE, "share"),
    "nonfarm_exit_rate_old": _P(0.15, 0.0, 1.0, "calibrated",
                                "yearly chance that a migrant worker aged 60 or over stops "
                                "non-farm work (NBS counts migrant workers with no upper age "
                                "limit); the default keeps the start's age profile (mean age "
                                "41.4, 26.4 % over 50, NBS 2020) roughly stable. " + FIT_NOTE,
                                "share"),
    "reclassified_hukou_share": _P(0.30, 0.0, 1.0, "calibrated",
                                   "share of reclassified villagers whose hukou is also "
                                   "converted (village-to-neighbourhood committees, land "
                                   "requisition). " + FIT_NOTE, "share"),
    "return_to_county_share": _P(0.2, 0.0, 1.0, "assumed",
                                 "share of returning migrants who live in the county town "
                                 "rather than the village (returnees often buy homes in "
                                 "county seats)", "share"),
    "college_transfer_rate": _P(0.20, 0.0, 1.0, "calibrated",
                                "share of rural-hukou 18-year-olds who enter college "
                                "and move their hukou to it (about half of entrants are "
                                "rural; transfer optional since 2017). " + FIT_NOTE, "share"),
    # --- insurance ------------------------------------------------------------
    "insured_share_base": _P(0.25, 0.0, 1.0, "assumed",
                             "share of employed migrants with urban employee insurance "
                             "(14 % employer pension in 2012, rising since)", "share"),
    "fertility_rural_relative": _P(1.35, 0.5, 3.0, "assumed",
                                   "rural to urban fertility ratio; 2020 census total "
                                   "fertility is markedly higher in rural areas than "
                                   "in cities", "ratio"),
}

PARAMETERS: Mapping[str, ParameterSpec] = MappingProxyType(_SPECS)
KINDS = ("study", "calibrated", "assumed")


class Parameters(dict):
    """A complete set of parameter values: the defaults with overrides applied.

    Reading an unknown name raises ``KeyError`` so that a typo in code fails fast.
    """

    @classmethod
    def defaults(cls) -> "Parameters":
        return cls({name: spec.default for name, spec in PARAMETERS.items()})

    def with_overrides(self, overrides: Mapping[str, float]) -> "Parameters":
        """Return a copy with ``overrides`` applied; names and ranges are checked."""
        out = Parameters(self)
        for name, value in overrides.items():
            if name not in PARAMETERS:
                raise KeyError(name)
            spec = PARAMETERS[name]
            if not spec.low <= float(value) <= spec.high:
                raise ValueError(f"{name}={value} outside [{spec.low}, {spec.high}]")
            out[name] = float(value)
        return out

    def __getattr__(self, name: str) -> float:
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(name) from err
