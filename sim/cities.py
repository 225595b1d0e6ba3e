"""The destinations: 683 cities by the plan's size classes, and county towns.

The 21 super-large and mega cities are the census cities, one by one. The 662
cities of the smaller classes are generated so that each class has its census
count, every city lies within its class bounds, and all 683 cities together hold
the census urban-district population (575 million). Within a class, populations
are the quantiles of one truncated Pareto (rank-size) distribution whose
exponent is solved so that the total matches; regions are assigned to keep each
class's cities in proportion to the regions' population shares, alternating so
that large and small cities are spread over regions. No randomness is involved:
the city system is the same in every run.

Urban residents outside the cities' urban districts (327 million in 2020: county
seats, towns and reclassified villages) live in one aggregate "county towns"
destination per region, which the plan treats as a carrier of urbanization of
its own (article 19).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from sim import datasets
from sim.datasets import REGIONS, TEN_THOUSAND

SIZE_CLASSES = ("super_large", "mega", "large_1", "large_2", "medium", "small", "county")
COUNTY = SIZE_CLASSES.index("county")
COUNTY_DISTANCE_KM = 40.0  # assumed: a county seat is about 40 km from its villages
EARTH_RADIUS_KM = 6371.0


@dataclass
class CitySystem:
    """Static attributes of every destination (index k)."""

    name: np.ndarray
    size_class: np.ndarray  # index into SIZE_CLASSES
    region: np.ndarray  # index into REGIONS
    population: np.ndarray  # urban-district resident population 2020, persons
    lat: np.ndarray
    lon: np.ndarray
    distance_km: np.ndarray = field(repr=False)  # [origin region, destination]

    @property
    def n(self) -> int:
        return len(self.name)

    @property
    def is_county(self) -> np.ndarray:
        return self.size_class == COUNTY

    def class_mask(self, size_class: str) -> np.ndarray:
        return self.size_class == SIZE_CLASSES.index(size_class)


def _pareto_quantiles(lower: float, upper: float, count: int, alpha: float) -> np.ndarray:
    """Mid-point quantiles of a Pareto(alpha) truncated to [lower, upper]."""
    p = (np.arange(count) + 0.5) / count
    a, b = lower ** -alpha, upper ** -alpha
    return (a - p * (a - b)) ** (-1.0 / alpha)


def generated_class_populations(target_total: float) -> dict[str, np.ndarray]:
    """Populations (persons) of the cities of the generated classes, largest first."""
    classes = datasets.size_classes()
    generated = [c for c in ("large_1", "large_2", "medium", "small")]

    def populations(alpha: float) -> dict[str, np.ndarray]:
        out = {}
        for name in generated:
            row = classes.loc[name]
            pops = _pareto_quantiles(row.lower_10k * TEN_THOUSAND, row.upper_10k * TEN_THOUSAND,
                                     int(row["count"]), alpha)
            out[name] = np.sort(pops)[::-1]
        return out

    def excess(alpha: float) -> float:
        return sum(p.sum() for p in populations(alpha).values()) - target_total

    alpha = brentq(excess, 0.01, 6.0)
    return populations(alpha)


def _assign_regions(count: int, shares: np.ndarray, offset: int) -> np.ndarray:
    """Deterministic apportionment of ``count`` cities to regions by ``shares``."""
    assigned = np.zeros(len(shares))
    out = np.empty(count, dtype=np.int8)
    order = np.roll(np.arange(len(shares)), offset)
    for j in range(count):
        deficit = shares * (j + 1) - assigned
        r = order[np.argmax(deficit[order])]
        out[j] = r
        assigned[r] += 1
    return out


def _haversine(lat1, lon1, lat2, lon2) -> np.ndarray:
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))


def build_city_system(urban_residents_2020: float) -> CitySystem:
    """Build the 683 cities plus one county-town aggregate per region."""
    named = datasets.named_cities()
    regions = datasets.regions()
    shares = regions["population_share_pct"].to_numpy()
    shares = shares / shares.sum()
    region_index = {r: i for i, r in enumerate(REGIONS)}
    centroid_lat, centroid_lon = regions["centroid_lat"].to_numpy(), regions["centroid_lon"].to_numpy()

    names = list(named["name"])
    classes = [SIZE_CLASSES.index(c) for c in named["size_class"]]
    region = [region_index[r] for r in named["region"]]
    population = list(named["urban_district_pop_10k"] * TEN_THOUSAND)
    lat = list(named["lat"])
    lon = list(named["lon"])

    all_cities_total = datasets.official("urban_district_population_683_cities", 2020) * TEN_THOUSAND
    generated = generated_class_populations(all_cities_total - sum(population))
    for offset, (class_name, pops) in enumerate(generated.items()):
        regs = _assign_regions(len(pops), shares, offset)
        for j, (pop, r) in enumerate(zip(pops, regs)):
            names.append(f"{class_name}-{REGIONS[r]}-{j + 1:03d}")
            classes.append(SIZE_CLASSES.index(class_name))
            region.append(int(r))
            population.append(float(pop))
            lat.append(centroid_lat[r])
            lon.append(centroid_lon[r])

    county_total = urban_residents_2020 - all_cities_total
    for r, reg in enumerate(REGIONS):
        names.append(f"county towns ({reg})")
        classes.append(COUNTY)
        region.append(r)
        population.append(county_total * shares[r])
        lat.append(centroid_lat[r])
        lon.append(centroid_lon[r])

    region_arr = np.array(region, dtype=np.int8)
    class_arr = np.array(classes, dtype=np.int8)
    lat_arr, lon_arr = np.array(lat), np.array(lon)
    distance = np.empty((len(REGIONS), len(names)))
    for r in range(len(REGIONS)):
        far = _haversine(centroid_lat[r], centroid_lon[r], lat_arr, lon_arr)
        same = region_arr == r
        distance[r] = np.where(same, regions["within_region_km"].iloc[r], np.maximum(far, 1.0))
        # a county-town aggregate serves its own region only
        distance[r, class_arr == COUNTY] = np.where(region_arr[class_arr == COUNTY] == r,
                                                    COUNTY_DISTANCE_KM, np.inf)
    return CitySystem(
        name=np.array(names, dtype=object),
        size_class=class_arr,
        region=region_arr,
        population=np.array(population),
        lat=lat_arr,
        lon=lon_arr,
        distance_km=distance,
    )
