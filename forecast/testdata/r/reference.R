# Reference numbers for the forecast package's golden tests.
# Generated with R 4.2.2 (Debian bookworm r-base-core) and forecast 8.20 (r-cran-forecast):
#   cd forecast/testdata/r && Rscript reference.R
# Writes series/*.csv (period,value), fixed.csv (R arima(method="ML") fits and predict() output)
# and auto.csv (forecast::auto.arima on each series with the last 12 months held out).
# CI never runs R: the Go tests read these files.
suppressMessages(library(forecast))
options(digits = 15)
dir.create("series", showWarnings = FALSE)
period <- function(x) {
  tt <- time(x); y <- floor(tt + 1e-9); m <- round((tt - y) * 12) + 1
  sprintf("%04d-%02d", as.integer(y), as.integer(m))
}
writeSeries <- function(name, x) {
  write.csv(data.frame(period = period(x), value = sprintf("%.10g", as.numeric(x))),
            file.path("series", paste0(name, ".csv")), row.names = FALSE, quote = FALSE)
}
set.seed(20261126)
syn <- list()
# Synthetic DRG-like series: level, trend, seasonality, noise; positive.
mk <- function(n, level, trend, amp, sd, ar = 0) {
  e <- as.numeric(arima.sim(list(ar = if (ar != 0) ar else NULL), n = n, sd = sd))
  t <- 1:n
  ts(level + trend * t + amp * sin(2 * pi * t / 12) + 0.5 * amp * cos(2 * pi * t / 6) + e,
     start = c(2018, 1), frequency = 12)
}
syn$syn_trend_season <- mk(72, 100, 0.8, 12, 4, 0.5)
syn$syn_flat_noise   <- mk(60, 50, 0, 0, 5, 0)
syn$syn_season_only  <- mk(84, 200, 0, 30, 8, 0.3)
syn$syn_trend_only   <- mk(48, 20, 1.5, 0, 2, 0.6)
syn$syn_short_season <- mk(40, 80, 0.3, 10, 3, 0)
syn$syn_ar_mean      <- ts(100 + as.numeric(arima.sim(list(ar = c(0.6, -0.2), ma = 0.4), n = 96, sd = 3)),
                          start = c(2017, 1), frequency = 12)
syn$syn_rw_drift     <- ts(cumsum(c(100, rnorm(71, 0.7, 2))), start = c(2019, 1), frequency = 12)
syn$syn_mult_season  <- ts(exp(log(100) + 0.01 * (1:96) + 0.15 * sin(2 * pi * (1:96) / 12) + rnorm(96, 0, 0.04)),
                          start = c(2016, 1), frequency = 12)

series <- c(list(
  AirPassengersLog = log(AirPassengers), nottem = nottem, USAccDeaths = USAccDeaths,
  ldeaths = ldeaths, mdeaths = mdeaths, fdeaths = fdeaths, co2 = co2,
  UKDriverDeaths = UKDriverDeaths, wineind = wineind, gas = gas,
  DriversKilled = Seatbelts[, "DriversKilled"], front = Seatbelts[, "front"],
  rear = Seatbelts[, "rear"], AirPassengers = AirPassengers), syn)
for (nm in names(series)) writeSeries(nm, series[[nm]])

# Fixed orders: name, p,d,q, P,D,Q, S
specs <- list(
  list("AirPassengersLog", c(0,1,1), c(0,1,1)), list("AirPassengersLog", c(1,1,0), c(0,1,1)),
  list("AirPassengersLog", c(2,1,1), c(0,1,0)),
  list("nottem", c(1,0,0), c(2,0,0)), list("nottem", c(1,0,1), c(1,1,1)),
  list("USAccDeaths", c(0,1,1), c(0,1,1)), list("USAccDeaths", c(1,1,1), c(0,1,1)),
  list("ldeaths", c(1,0,0), c(1,0,0)), list("ldeaths", c(2,0,0), c(1,1,0)),
  list("mdeaths", c(1,0,1), c(0,1,1)), list("co2", c(1,1,1), c(0,1,1)),
  list("UKDriverDeaths", c(1,0,0), c(1,1,1)), list("wineind", c(0,1,2), c(0,1,1)),
  list("syn_ar_mean", c(2,0,1), c(0,0,0)), list("syn_rw_drift", c(0,1,1), c(0,0,0)),
  list("syn_trend_only", c(2,1,0), c(0,0,0)), list("syn_trend_only", c(0,2,2), c(0,0,0)),
  list("syn_trend_season", c(1,0,0), c(0,1,1)), list("syn_season_only", c(1,0,1), c(1,0,0)),
  list("syn_flat_noise", c(0,0,1), c(0,0,0)))
h <- 24
rows <- list()
for (sp in specs) {
  nm <- sp[[1]]; x <- series[[nm]]; o <- sp[[2]]; so <- sp[[3]]
  fit <- arima(x, order = o, seasonal = list(order = so, period = 12), method = "ML")
  p <- predict(fit, n.ahead = h)
  coefs <- paste(sprintf("%s=%.12g", names(coef(fit)), coef(fit)), collapse = ";")
  rows[[length(rows) + 1]] <- data.frame(series = nm,
    order = paste(o, collapse = ","), seasonal = paste(c(so, 12), collapse = ","),
    loglik = sprintf("%.10g", fit$loglik), sigma2 = sprintf("%.10g", fit$sigma2), aic = sprintf("%.10g", fit$aic),
    coef = coefs, step = 1:h, mean = sprintf("%.10g", as.numeric(p$pred)), se = sprintf("%.10g", as.numeric(p$se)))
}
write.csv(do.call(rbind, rows), "fixed.csv", row.names = FALSE)

# auto.arima with the last 12 held out; MASE scaled by the training set's in-sample
# seasonal-naive MAE (forecast::accuracy's definition for seasonal series).
arows <- list()
for (nm in names(series)) {
  x <- series[[nm]]; n <- length(x)
  if (nm == "AirPassengers") next
  train <- window(x, end = time(x)[n - 12]); test <- window(x, start = time(x)[n - 11])
  fit <- auto.arima(train)
  fc <- forecast(fit, h = 12)
  scale <- mean(abs(diff(as.numeric(train), lag = 12)))
  mase <- mean(abs(as.numeric(test) - as.numeric(fc$mean))) / scale
  e <- etsfit <- ets(train); fe <- forecast(etsfit, h = 12)
  mase_ets <- mean(abs(as.numeric(test) - as.numeric(fe$mean))) / scale
  arows[[length(arows) + 1]] <- data.frame(series = nm, n_train = length(train),
    model = gsub(" ", "", as.character(fit)), mase = sprintf("%.10g", mase),
    ets_model = etsfit$method, ets_mase = sprintf("%.10g", mase_ets))
}
write.csv(do.call(rbind, arows), "auto.csv", row.names = FALSE)
cat(R.version.string, "forecast", as.character(packageVersion("forecast")), "\n")
