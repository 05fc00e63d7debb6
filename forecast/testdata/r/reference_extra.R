# More fixed-order reference fits (wider orders, short series, constants) for the golden tests.
# Generated with R 4.2.2 (Debian bookworm): cd forecast/testdata/r && Rscript reference_extra.R
# Reads series/*.csv written by reference.R; writes fixed_extra.csv in fixed.csv's layout.
options(digits = 15)
rd <- function(nm) { d <- read.csv(file.path("series", paste0(nm, ".csv"))); ts(d$value, frequency = 12) }
specs <- list(
  list("AirPassengersLog", c(3,1,2), c(0,1,1)), list("AirPassengersLog", c(1,1,1), c(1,1,0)),
  list("AirPassengersLog", c(2,1,0), c(2,1,0)), list("AirPassengers", c(1,1,1), c(0,1,1)),
  list("nottem", c(2,0,0), c(1,0,1)), list("nottem", c(0,0,3), c(0,1,1)), list("nottem", c(1,0,0), c(0,0,0)),
  list("USAccDeaths", c(0,1,1), c(0,0,0)), list("USAccDeaths", c(2,0,0), c(1,1,0)), list("USAccDeaths", c(1,2,1), c(0,1,1)),
  list("ldeaths", c(0,0,2), c(1,1,0)), list("ldeaths", c(1,0,1), c(2,0,0)), list("fdeaths", c(1,0,0), c(0,1,2)),
  list("co2", c(0,1,1), c(0,1,1)), list("co2", c(2,1,2), c(0,1,1)), list("gas", c(1,1,1), c(0,1,1)),
  list("DriversKilled", c(1,0,0), c(1,0,0)), list("front", c(1,1,0), c(1,1,0)), list("rear", c(1,0,1), c(0,1,1)),
  list("wineind", c(1,1,1), c(0,1,1)), list("UKDriverDeaths", c(2,1,1), c(0,1,1)),
  list("syn_short_season", c(1,0,0), c(0,1,0)), list("syn_short_season", c(0,1,1), c(0,0,0)),
  list("syn_trend_season", c(2,1,2), c(0,1,1)), list("syn_flat_noise", c(1,0,1), c(0,0,0)),
  list("syn_flat_noise", c(2,0,2), c(0,0,0)), list("syn_season_only", c(0,0,1), c(0,1,1)),
  list("syn_mult_season", c(0,1,1), c(0,1,1)), list("syn_rw_drift", c(1,1,0), c(0,0,0)),
  list("syn_ar_mean", c(3,0,0), c(0,0,0)), list("syn_ar_mean", c(0,0,4), c(0,0,0)))
rows <- list()
for (sp in specs) {
  nm <- sp[[1]]; x <- rd(nm); o <- sp[[2]]; so <- sp[[3]]
  fit <- try(arima(x, order = o, seasonal = list(order = so, period = 12), method = "ML"), silent = TRUE)
  if (inherits(fit, "try-error")) { cat("skip", nm, o, so, "\n"); next }
  p <- predict(fit, n.ahead = 24)
  coefs <- paste(sprintf("%s=%.12g", names(coef(fit)), coef(fit)), collapse = ";")
  rows[[length(rows) + 1]] <- data.frame(series = nm, order = paste(o, collapse = ","), seasonal = paste(c(so, 12), collapse = ","),
    loglik = sprintf("%.10g", fit$loglik), sigma2 = sprintf("%.10g", fit$sigma2), aic = sprintf("%.10g", fit$aic),
    coef = coefs, step = 1:24, mean = sprintf("%.10g", as.numeric(p$pred)), se = sprintf("%.10g", as.numeric(p$se)))
}
write.csv(do.call(rbind, rows), "fixed_extra.csv", row.names = FALSE)
